import { mkdtempSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { DuckDBInstance, type DuckDBConnection } from '@duckdb/node-api';
import { HOT_SHARD_DDL } from '../../../storage/hot-schema';
import {
  hotShardCount,
  hotShardFingerprint,
  hotShardPoints,
} from '../../../storage/vector-index/hot-source';
import { UsearchIndex, shardIndexPath } from '../../../storage/vector-index/usearch-index';
import { dataset } from './fixtures';

describe('rebuilding an embedded index from a hot DuckDB shard', () => {
  const points = dataset(250, 5);
  let instance: DuckDBInstance;
  let conn: DuckDBConnection;
  let dir: string;

  beforeAll(async () => {
    dir = mkdtempSync(join(tmpdir(), 'akosha-vindex-hot-'));
    instance = await DuckDBInstance.create(':memory:');
    conn = await instance.connect();
    await conn.run(`ATTACH '${join(dir, 'shard-007.duckdb')}' AS s007`);
    for (const ddl of HOT_SHARD_DDL('s007')) await conn.run(ddl);
    for (const p of points) {
      const project = p.payload.project === null ? 'NULL' : `'${p.payload.project}'`;
      await conn.run(
        `INSERT INTO s007.memories VALUES ('${p.key.system_id}', '${p.key.id}', '${p.payload.kind}',
          'text', 'sha', '${p.payload.timestamp.replace('Z', '')}'::TIMESTAMP, ${project}, [], '{}',
          [${Array.from(p.vector).join(',')}]::FLOAT[384], 'producer', 'model', 'u1', now())`,
      );
    }
  });
  afterAll(() => {
    conn.closeSync();
    instance.closeSync();
    rmSync(dir, { recursive: true, force: true });
  });

  const open = () =>
    UsearchIndex.openOrRebuild(shardIndexPath(dir, 7), () => hotShardPoints(conn, 7, 64), {
      expectedCount: () => hotShardCount(conn, 7),
      expectedFingerprint: () => hotShardFingerprint(conn, 7),
    });

  it('reads every record, in batches, with its payload', async () => {
    const seen = [];
    for await (const batch of hotShardPoints(conn, 7, 64)) {
      expect(batch.length).toBeLessThanOrEqual(64);
      seen.push(...batch);
    }
    expect(seen).toHaveLength(250);
    const byId = new Map(points.map((p) => [p.key.id, p]));
    for (const s of seen) {
      const p = byId.get(s.key.id)!;
      expect(s.payload).toEqual(p.payload);
      // (the SQL literal goes through DECIMAL: equal to ~1e-8, not bit for bit)
      expect(s.vector).toHaveLength(384);
      const maxDiff = Math.max(...Array.from(s.vector, (x, i) => Math.abs(x - p.vector[i]!)));
      expect(maxDiff).toBeLessThan(1e-6);
    }
  });

  it('rebuilds when missing, reuses the file while it matches, rebuilds when stale', async () => {
    const first = await open();
    expect(first.rebuilt).toBe(true);
    expect(await first.index.count()).toBe(250);
    const hit = await first.index.search(points[3]!.vector, { limit: 1 });
    expect(hit[0]!.key).toEqual(points[3]!.key);
    await first.index.close();

    const second = await open();
    expect(second.rebuilt).toBe(false);
    await second.index.close();

    await conn.run(`DELETE FROM s007.memories WHERE id = '${points[0]!.key.id}'`);
    const third = await open();
    expect(third.rebuilt).toBe(true);
    expect(third.reason).toMatch(/stale/);
    expect(await third.index.count()).toBe(249);
    await third.index.close();
  });
});
