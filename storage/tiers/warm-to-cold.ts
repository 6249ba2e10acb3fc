import { rm } from 'node:fs/promises';
import type { DuckDBConnection } from '@duckdb/node-api';
import { coldKey, mapLimit, type ColdObject } from './cold-store';
import { writeColdObjects } from './cold-write';
import type { Tiers } from './context';
import { inTransaction, insertMove, newMoveId, setPhase } from './journal';
import { inMove, type MoveResult } from './moves';
import { keyHashSql, sqlString, tsSql, warmRowHashSql } from './sql';
import { compareStats, TierMoveError, type Stats } from './verify';
import { warmDbName } from './warm-store';

/**
 * warm → cold for one shard: every warm record with `ts < olderThan`, one Parquet object
 * per (kind, system, day). plan (keys + objects, "planned") → write + upload ("copied")
 * → download, sha256 + count + hashes ("verified") → delete warm rows + "deleted" (one
 * transaction).
 */
export function moveWarmToCold(t: Tiers, shard: number, olderThan: Date): Promise<MoveResult> {
  return t.moveLock.run(shard, async () => {
    const started = Date.now();
    await t.warm.attach(shard);
    const moveId = newMoveId('wc', shard);
    return t.withConnection(async (conn) => {
      const objects = await planWarmToCold(conn, shard, moveId, olderThan);
      const result = (bytes: number): MoveResult => ({
        moveId: objects.length > 0 ? moveId : null,
        from: 'warm',
        to: 'cold',
        shard,
        records: objects.reduce((n, o) => n + o.expected.count, 0),
        bytes,
        objects: objects.length,
        durationMs: Date.now() - started,
      });
      if (objects.length === 0) return result(0);
      const { uploaded, bytes } = await writeColdObjects(t, conn, shard, moveId, objects).catch(
        async (err: unknown) => {
          const w = warmDbName(shard);
          await rollbackColdCopy(t, conn, w, moveId, objects, String(err)).catch(() => undefined);
          throw err;
        },
      );
      await t.point('warm-cold', 'after-copy');
      await finishWarmToCold(t, conn, shard, moveId, uploaded);
      return result(bytes);
    });
  });
}

async function planWarmToCold(
  conn: DuckDBConnection,
  shard: number,
  moveId: string,
  olderThan: Date,
): Promise<ColdObject[]> {
  const w = warmDbName(shard);
  return inTransaction(conn, async () => {
    await conn.run(
      `INSERT INTO ${w}.move_keys SELECT ${sqlString(moveId)}, system_id, id, true
         FROM ${w}.records WHERE ts < ${tsSql(olderThan)}
          AND NOT EXISTS (SELECT 1 FROM ${w}.move_keys o
                           WHERE o.system_id = records.system_id AND o.id = records.id)`,
    );
    const reader = await conn.runAndReadAll(
      `SELECT m.kind, m.system_id, strftime(m.ts, '%Y/%m/%d') AS day, count(*)::BIGINT AS n,
              sum(${keyHashSql('m.')})::VARCHAR AS kh, sum(${warmRowHashSql('m.')})::VARCHAR AS rh
         ${inMove(`${w}.records`, `${w}.move_keys`, moveId)} GROUP BY ALL ORDER BY ALL`,
    );
    const objects: ColdObject[] = reader.getRowObjectsJS().map((r) => ({
      key: coldKey(String(r.kind), String(r.system_id), String(r.day), moveId),
      expected: { count: Number(r.n), keys: String(r.kh), records: String(r.rh) },
    }));
    if (objects.length > 0)
      await insertMove(conn, w, {
        moveId,
        shard,
        from: 'warm',
        to: 'cold',
        phase: 'planned',
        expected: sumStats(objects.map((o) => o.expected)),
        objects,
      });
    return objects;
  });
}

/** From "copied" on (also used by recover): verify every object, then delete the warm rows. */
export async function finishWarmToCold(
  t: Tiers,
  conn: DuckDBConnection,
  shard: number,
  moveId: string,
  objects: ColdObject[],
  phase: 'copied' | 'verified' = 'copied',
): Promise<void> {
  const w = warmDbName(shard);
  if (phase === 'copied') {
    const mismatch = await verifyColdObjects(t, conn, moveId, objects);
    if (mismatch) {
      await rollbackColdCopy(t, conn, w, moveId, objects, mismatch.message);
      throw mismatch;
    }
    await setPhase(conn, w, moveId, 'verified');
    await t.point('warm-cold', 'after-verify');
  }
  await inTransaction(conn, async () => {
    await conn.run(
      `DELETE FROM ${w}.records m USING ${w}.move_keys k
        WHERE m.system_id = k.system_id AND m.id = k.id AND k.move_id = ${sqlString(moveId)}`,
    );
    await conn.run(`DELETE FROM ${w}.move_keys WHERE move_id = ${sqlString(moveId)}`);
    await setPhase(conn, w, moveId, 'deleted');
  });
}

/** Re-reads every object: sha256 (metadata and journal), count, key and record hash sums. */
export async function verifyColdObjects(
  t: Tiers,
  conn: DuckDBConnection,
  moveId: string,
  objects: ColdObject[],
): Promise<TierMoveError | null> {
  const dir = await t.cold.tempDir();
  try {
    const files = await t.cold.download(
      moveId,
      objects.map((o) => ({ key: o.key, sha256: o.sha256 })),
      dir,
    );
    const stats = await t.cold.fileStats(conn, files);
    for (const o of objects) {
      const actual = stats.get(o.key) ?? { count: 0, keys: '0', records: '0' };
      const mismatch = compareStats(moveId, o.key, o.expected, actual);
      if (mismatch) return mismatch;
    }
    return null;
  } catch (err) {
    if (err instanceof TierMoveError) return err;
    throw err;
  } finally {
    await rm(dir, { recursive: true, force: true });
  }
}

export async function rollbackColdCopy(
  t: Tiers,
  conn: DuckDBConnection,
  w: string,
  moveId: string,
  objects: ColdObject[],
  error: string,
): Promise<void> {
  await mapLimit(objects, 8, (o) => t.cold.objects.delete(o.key));
  await inTransaction(conn, async () => {
    await conn.run(`DELETE FROM ${w}.move_keys WHERE move_id = ${sqlString(moveId)}`);
    await setPhase(conn, w, moveId, 'aborted', { error });
  });
}

export function sumStats(all: Stats[]): Stats {
  return {
    count: all.reduce((n, s) => n + s.count, 0),
    keys: all.reduce((n, s) => n + BigInt(s.keys), 0n).toString(),
    records: all.reduce((n, s) => n + BigInt(s.records), 0n).toString(),
  };
}
