import { mkdtempSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { DuckDBInstance, type DuckDBConnection } from '@duckdb/node-api';
import { HASHING_MODEL } from '../../embedding/hashing-embedder';
import { shardOf } from '../../schemas/ids';
import { shardDbName } from '../../storage/hot-schema';
import { HotStore, type HotStoreOptions } from '../../storage/hot-store';
import type { CompletedUpload } from '../../storage/shard-transaction';
import { LocalObjectStore, TierMover } from '../../storage/tiers';
import type { ChunkInput } from '../../storage/write-plan';
import { chunkInput, embeddedRecord, splitUpload } from './chunk-inputs';

const SYSTEM = 'chunks-host';
const SHARD = shardOf(SYSTEM);
const DB = shardDbName(SHARD);
const DAY_MS = 86_400_000;

const records = (tag: string, n: number) =>
  Array.from({ length: n }, (_, i) =>
    embeddedRecord(`${tag}-${i}`, `${tag} memory number ${i}`, '2026-11-20T10:00:00Z'),
  );

let dir: string;
beforeEach(() => {
  dir = mkdtempSync(join(tmpdir(), 'akosha-chunks-'));
});
afterEach(() => rmSync(dir, { recursive: true, force: true }));

const open = (opts: Partial<HotStoreOptions> = {}) =>
  HotStore.open(join(dir, 'hot'), { concurrency: 2, model: HASHING_MODEL, ...opts });

async function query(store: HotStore, sql: string): Promise<Record<string, unknown>[]> {
  const conn = await store.connect();
  try {
    return (await conn.runAndReadAll(sql)).getRowObjectsJS();
  } finally {
    conn.closeSync();
  }
}

/** Writes each chunk in its own transaction, as separate deliveries would; returns completions. */
async function deliver(store: HotStore, chunks: ChunkInput[]): Promise<CompletedUpload[]> {
  const completed: CompletedUpload[] = [];
  for (const c of chunks) completed.push(...(await store.writeShard(SHARD, [c])).completed);
  return completed;
}

describe('an upload split another way on retry', () => {
  it('stores every record once and completes the upload once', async () => {
    const store = await open();
    const all = records('split', 12);
    // first try: 1 part of 2 chunks; only chunk 1 was written before the crash
    const first = splitUpload(SYSTEM, 'up-1', all, 1, 2);
    expect(await deliver(store, [first[1]!])).toEqual([]);
    // the retry: 1 part of 3 chunks (another max_payload); its chunk 1 is another chunk
    const completed = await deliver(store, splitUpload(SYSTEM, 'up-1', all, 1, 3));
    // and a multi-part first try, completed by a single-part retry
    const other = records('parts', 6);
    expect(await deliver(store, [splitUpload(SYSTEM, 'up-2', other, 2, 1)[0]!])).toEqual([]);
    completed.push(...(await deliver(store, splitUpload(SYSTEM, 'up-2', other, 1, 2))));

    expect(completed.map((c) => c.uploadId)).toEqual(['up-1', 'up-2']);
    expect(completed[0]!.stored.sort()).toEqual(all.map((r) => r.id).sort());
    expect(completed[0]!.duplicate).toEqual([]);
    expect(completed[1]!.stored.sort()).toEqual(other.map((r) => r.id).sort());
    expect((await store.keys(SHARD)).length).toBe(18);
    const rows = await query(store, `SELECT upload_id FROM ${DB}.uploads_completed ORDER BY 1`);
    expect(rows.map((r) => r.upload_id)).toEqual(['up-1', 'up-2']);
    // a redelivery of the retry's chunks is recognised: nothing stored twice
    const again = await store.writeShard(SHARD, splitUpload(SYSTEM, 'up-1', all, 1, 3));
    expect(again.chunks.every((c) => c.redelivered)).toBe(true);
    expect((await store.keys(SHARD)).length).toBe(18);
    await store.close();
  });

  it('a completed upload sent again in one chunk is not completed twice', async () => {
    const store = await open();
    const all = records('whole', 4);
    expect(await deliver(store, splitUpload(SYSTEM, 'up-3', all, 1, 2))).toHaveLength(1);
    const again = await store.writeShard(SHARD, [chunkInput(SYSTEM, 'up-3', all)]);
    expect(again.chunks[0]!.duplicate).toHaveLength(4);
    const rows = await query(store, `SELECT count(*)::INTEGER AS n FROM ${DB}.uploads_completed`);
    expect(rows[0]!.n).toBe(1);
    await store.close();
  });
});

/** Turns a current shard file into one written before the counts and the key index. */
async function makeOldFile(file: string): Promise<void> {
  const instance = await DuckDBInstance.create(file);
  const conn = await instance.connect();
  const run = (sql: string) => conn.run(sql);
  await run('DROP TABLE record_keys');
  await run('DROP TABLE record_keys_filled');
  await run(`CREATE TABLE old_chunks AS SELECT * FROM upload_chunks`);
  await run('DROP TABLE upload_chunks');
  await run(`CREATE TABLE upload_chunks (system_id VARCHAR NOT NULL, upload_id VARCHAR NOT NULL,
    part INTEGER NOT NULL, part_count INTEGER NOT NULL, chunk INTEGER NOT NULL,
    chunk_count INTEGER NOT NULL, stored_ids VARCHAR[] NOT NULL, duplicate_ids VARCHAR[] NOT NULL,
    rejected_ids VARCHAR[] NOT NULL, upload_seq BIGINT NOT NULL, recorded_at TIMESTAMP NOT NULL,
    PRIMARY KEY (system_id, upload_id, part, chunk))`);
  await run('INSERT INTO upload_chunks SELECT * FROM old_chunks');
  await run('DROP TABLE old_chunks');
  conn.closeSync();
  instance.closeSync();
}

async function primaryKey(conn: DuckDBConnection): Promise<string[]> {
  const reader = await conn.runAndReadAll(
    `SELECT constraint_column_names AS c FROM duckdb_constraints()
      WHERE database_name = '${DB}' AND table_name = 'upload_chunks' AND constraint_type = 'PRIMARY KEY'`,
  );
  return reader.getRowObjectsJS()[0]!.c as string[];
}

describe('a shard file from before', () => {
  it('is migrated at attach: chunks keyed by counts, key index filled, rows kept', async () => {
    let store = await open();
    const old = records('old', 6);
    await store.writeShard(SHARD, splitUpload(SYSTEM, 'up-old', old, 1, 2));
    const file = store.shardFile(SHARD);
    await store.close();
    await makeOldFile(file);

    store = await open();
    const conn = await store.connect();
    expect(await primaryKey(conn)).toEqual([
      'system_id',
      'upload_id',
      'part',
      'part_count',
      'chunk',
      'chunk_count',
    ]);
    conn.closeSync();
    const keys = await query(store, `SELECT count(*)::INTEGER AS n FROM ${DB}.record_keys`);
    expect(keys[0]!.n).toBe(6);
    // the old rows still recognise a redelivery, and the key index a re-upload
    const redelivered = await store.writeShard(SHARD, splitUpload(SYSTEM, 'up-old', old, 1, 2));
    expect(redelivered.chunks.every((c) => c.redelivered)).toBe(true);
    const again = await store.writeShard(SHARD, [chunkInput(SYSTEM, 'up-new', old)]);
    expect(again.chunks[0]!.duplicate.sort()).toEqual(old.map((r) => r.id).sort());
    expect((await store.keys(SHARD)).length).toBe(6);
    await store.close();
  });
});

describe('chunk rows past the uploads stream retention', () => {
  const keepMs = 10 * DAY_MS;
  const age = (store: HotStore, uploadId: string, days: number) =>
    query(
      store,
      `UPDATE ${DB}.upload_chunks SET recorded_at = now()::TIMESTAMP - INTERVAL ${days} DAY
        WHERE upload_id = '${uploadId}' RETURNING upload_id`,
    );
  const chunkUploads = async (store: HotStore) =>
    (await query(store, `SELECT DISTINCT upload_id FROM ${DB}.upload_chunks ORDER BY 1`)).map(
      (r) => r.upload_id,
    );

  it('are pruned by the aging pass and at attach; the key index keeps deduping', async () => {
    let store = await open({ chunkKeepMs: keepMs });
    const batches = ['a', 'b', 'c', 'd'].map((tag) => records(tag, 4));
    for (const [i, batch] of batches.entries())
      await store.writeShard(SHARD, [chunkInput(SYSTEM, `up-${i}`, batch)]);
    // announced, all but up-3: an announcement still to make keeps its rows
    await query(
      store,
      `UPDATE ${DB}.uploads_completed SET event_published = upload_id <> 'up-3' RETURNING 1`,
    );
    await age(store, 'up-0', 11);
    await age(store, 'up-1', 9);
    await age(store, 'up-3', 40);
    const mover = await TierMover.open(store, {
      warmDir: join(dir, 'warm'),
      objects: new LocalObjectStore(join(dir, 'cold')),
    });
    const expired = await mover.deleteExpired(3650);
    expect(expired.chunks).toBe(1);
    expect(await chunkUploads(store)).toEqual(['up-1', 'up-2', 'up-3']);
    await mover.close();
    await store.close();

    store = await open({ chunkKeepMs: keepMs });
    await age(store, 'up-2', 30);
    await store.close();
    store = await open({ chunkKeepMs: keepMs });
    expect(await chunkUploads(store)).toEqual(['up-1', 'up-3']);
    // a pruned upload's records, sent again, are still duplicates; its completion stays one
    const again = await store.writeShard(SHARD, [chunkInput(SYSTEM, 'up-9', batches[0]!)]);
    expect(again.chunks[0]!.stored).toEqual([]);
    await store.writeShard(SHARD, [chunkInput(SYSTEM, 'up-0', batches[0]!)]);
    const done = await query(store, `SELECT upload_id FROM ${DB}.uploads_completed ORDER BY 1`);
    expect(done.map((r) => r.upload_id)).toEqual(['up-0', 'up-1', 'up-2', 'up-3', 'up-9']);
    expect((await store.keys(SHARD)).length).toBe(16);
    await store.close();
  });
});
