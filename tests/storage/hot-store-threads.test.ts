import { mkdtempSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { HASHING_MODEL } from '../../embedding/hashing-embedder';
import { HOT_STORE_DEFAULTS } from '../../infra/defaults';
import { shardOf } from '../../schemas/ids';
import { shardDbName } from '../../storage/hot-schema';
import { HotStore } from '../../storage/hot-store';
import { chunkInput, embeddedRecord } from './chunk-inputs';

describe('the hot store’s DuckDB instance', () => {
  let dir: string;
  beforeEach(() => (dir = mkdtempSync(join(tmpdir(), 'akosha-threads-'))));
  afterEach(() => rmSync(dir, { recursive: true, force: true }));

  async function threadsOf(duckdbThreads?: number): Promise<number> {
    const store = await HotStore.open(dir, { concurrency: 1, model: HASHING_MODEL, duckdbThreads });
    const conn = await store.connect();
    try {
      const reader = await conn.runAndReadAll(`SELECT current_setting('threads')`);
      return Number(reader.getRows()[0]![0]);
    } finally {
      conn.closeSync();
      await store.close();
    }
  }

  it('runs on one thread by default, or on as many as asked', async () => {
    expect(await threadsOf()).toBe(HOT_STORE_DEFAULTS.duckdbThreads);
    expect(await threadsOf(2)).toBe(2);
  });

  it('stores a model’s float32 vectors without ALPRD, which made them larger', async () => {
    const store = await HotStore.open(dir, { concurrency: 1, model: HASHING_MODEL, index: false });
    const system = 'compression-host';
    const records = Array.from({ length: 4096 }, (_, i) =>
      embeddedRecord(`r-${i}`, `memory ${i}`, '2026-11-20T10:00:00Z'),
    ); // full-precision random vectors, as a model's are
    await store.writeShard(shardOf(system), [chunkInput(system, 'u', records)]);
    const db = shardDbName(shardOf(system));
    const conn = await store.connect();
    try {
      await conn.run(`FORCE CHECKPOINT ${db}`);
      const reader = await conn.runAndReadAll(
        `SELECT DISTINCT compression FROM pragma_storage_info('${db}.memories')
         WHERE column_name = 'embedding' AND segment_type = 'FLOAT'`,
      );
      const methods = reader.getRows().map((r) => String(r[0]));
      expect(methods.length).toBeGreaterThan(0);
      expect(methods).not.toContain('ALPRD');
    } finally {
      conn.closeSync();
      await store.close();
    }
  });
});
