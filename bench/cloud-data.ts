/** Session-Buddy databases for bench:cloud, written by DuckDB itself (fast at any size). */
import { rmSync } from 'node:fs';
import { DuckDBInstance } from '@duckdb/node-api';
import { keyHash, RecordDigest } from '../producers/record-digest';

export const median = (xs: number[]) =>
  [...xs].sort((a, b) => a - b)[Math.floor((xs.length - 1) / 2)]!;

const FILLER = 'stream consumer shard writer duckdb vector index embed upload replay ';

/**
 * A legacy `conversations` table of rows first … first+records-1. Row i is the same in every
 * file written with the same `newestMs`, so a grown database holds the smaller one's records.
 */
export async function writeSessionBuddyDb(
  path: string,
  records: number,
  newestMs: number,
  first = 0,
): Promise<void> {
  rmSync(path, { force: true });
  const instance = await DuckDBInstance.create(path);
  const conn = await instance.connect();
  try {
    const newest = new Date(newestMs).toISOString().replace('T', ' ').slice(0, 19);
    await conn.run(`CREATE TABLE conversations (
      id VARCHAR PRIMARY KEY, content TEXT NOT NULL, embedding FLOAT[384],
      project VARCHAR, timestamp TIMESTAMP, metadata JSON)`);
    // ~500 B of text a record, unique by its number
    await conn.run(`INSERT INTO conversations
      SELECT 'conv-' || lpad(i::VARCHAR, 8, '0'),
             'memory ' || i || ': ' || repeat('${FILLER}', 7),
             NULL, 'project-' || (i % 7),
             TIMESTAMP '${newest}' - to_seconds(i::BIGINT),
             '{"source": "bench"}'
      FROM range(${first}, ${first + records}) t(i)`);
    await conn.run('CHECKPOINT');
  } finally {
    conn.closeSync();
    instance.closeSync();
  }
}

export interface DigestFigures {
  keys: number;
  hashPerKeyUs: number;
  addPerKeyUs: number;
  hasPerKeyUs: number;
  heapMiB: number;
  bytes: number;
  toBytesMs: number;
  fromBytesMs: number;
}

/** Memory and speed of a RecordDigest of `keys` record keys of ~560 characters. */
export async function measureDigest(keys: number): Promise<DigestFigures> {
  const key = (i: number) => `conversation\u0000conv-${i}\u0000memory ${i}: ${FILLER.repeat(7)}`;
  const heapBefore = await settledHeap();
  const d = new RecordDigest();
  let t = performance.now();
  for (let i = 0; i < keys; i++) d.add(key(i));
  const addMs = performance.now() - t;
  d.toBytes(); // merges what is still recent, as a saved digest is
  const heapAfter = await settledHeap();
  t = performance.now();
  let found = 0;
  for (let i = 0; i < keys; i++) if (d.has(key(i))) found++;
  const hasMs = performance.now() - t;
  if (found !== keys) throw new Error(`digest lost keys: ${found} of ${keys}`);
  t = performance.now();
  let chars = 0;
  for (let i = 0; i < keys; i++) chars += key(i).length;
  if (chars === 0) throw new Error('no keys');
  const keyMs = performance.now() - t;
  t = performance.now();
  for (let i = 0; i < keys; i++) keyHash(key(i));
  const hashMs = performance.now() - t;
  t = performance.now();
  const bytes = d.toBytes();
  const toBytesMs = performance.now() - t;
  t = performance.now();
  RecordDigest.fromBytes(bytes);
  const fromBytesMs = performance.now() - t;
  const perKey = (ms: number) => ((ms - keyMs) * 1000) / keys;
  return {
    keys,
    hashPerKeyUs: perKey(hashMs),
    addPerKeyUs: perKey(addMs),
    hasPerKeyUs: perKey(hasMs),
    heapMiB: (heapAfter - heapBefore) / 2 ** 20,
    bytes: bytes.byteLength,
    toBytesMs,
    fromBytesMs,
  };
}

/** Heap and array buffers after two full collections (freed buffers are returned in between). */
async function settledHeap(): Promise<number> {
  for (let i = 0; i < 2; i++) {
    global.gc?.();
    await new Promise((r) => setImmediate(r));
  }
  const m = process.memoryUsage();
  return m.heapUsed + m.arrayBuffers;
}
