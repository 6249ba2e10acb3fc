import { mkdtempSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { HASHING_MODEL } from '../../embedding/hashing-embedder';
import { HOT_STORE_DEFAULTS } from '../../infra/defaults';
import { HotStore } from '../../storage/hot-store';

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
});
