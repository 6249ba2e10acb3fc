import type { DuckDBConnection } from '@duckdb/node-api';
import { shardDbName } from '../hot-schema';
import type { Tiers } from './context';
import { inTransaction, insertMove, newMoveId, setPhase } from './journal';
import { inMove, type MoveResult } from './moves';
import {
  keptHashSql,
  quantiseSql,
  scaleSql,
  sqlString,
  summaryHeadSql,
  summarySql,
  tsSql,
} from './sql';
import { compareStats, readStats, type Stats } from './verify';
import { warmDbName } from './warm-store';

/**
 * hot → warm for one shard: every hot record with `ts < olderThan`.
 * copy (one warm transaction: keys, rows, journal "copied") → verify → delete hot → "deleted".
 * A key warm already holds keeps its warm row (the first stored version wins, as dedupe
 * decides at ingest) and its hot duplicate is deleted; verification expects that warm row.
 */
export function moveHotToWarm(t: Tiers, shard: number, olderThan: Date): Promise<MoveResult> {
  return t.moveLock.run(shard, async () => {
    const started = Date.now();
    await t.hot.attach(shard);
    await t.warm.attach(shard);
    const moveId = newMoveId('hw', shard);
    const copied = await t.withConnection((conn) => copyHotToWarm(conn, shard, moveId, olderThan));
    const result = (records: number): MoveResult => ({
      moveId: records > 0 ? moveId : null,
      from: 'hot',
      to: 'warm',
      shard,
      records,
      bytes: 0,
      objects: 0,
      durationMs: Date.now() - started,
    });
    if (copied === null) return result(0);
    await t.point('hot-warm', 'after-copy');
    await finishHotToWarm(t, shard, moveId, copied);
    return result(copied.count);
  });
}

async function copyHotToWarm(
  conn: DuckDBConnection,
  shard: number,
  moveId: string,
  olderThan: Date,
): Promise<Stats | null> {
  const h = shardDbName(shard);
  const w = warmDbName(shard);
  const id = sqlString(moveId);
  return inTransaction(conn, async () => {
    await conn.run(
      `INSERT INTO ${w}.move_keys SELECT ${id}, m.system_id, m.id, r.id IS NULL
         FROM ${h}.memories m LEFT JOIN ${w}.records r ON r.system_id = m.system_id AND r.id = m.id
        WHERE m.ts < ${tsSql(olderThan)}`,
    );
    const expected = await readStats(
      conn,
      `${inMove(`${h}.memories`, `${w}.move_keys`, moveId)}
        LEFT JOIN ${w}.records r ON r.system_id = m.system_id AND r.id = m.id`,
      `CASE WHEN k.inserted THEN ${keptHashSql('m.')} ELSE ${keptHashSql('r.')} END`,
    );
    if (expected.count === 0) return null;
    await conn.run(
      `INSERT INTO ${w}.records
       SELECT m.system_id, m.id, m.kind, ${summarySql('m.head', 'm.chars')}, m.content_sha256,
              m.chars, m.ts, m.project, m.tags, m.metadata,
              ${quantiseSql('m.embedding', 'm.vscale')}, m.vscale, m.vector_source,
              m.embedder_model, m.upload_id, m.ingested_at, ${tsSql(new Date())}
         FROM (SELECT *, ${scaleSql('embedding')} AS vscale, ${summaryHeadSql('content')} AS head,
                      length(content) AS chars FROM ${h}.memories) m
         JOIN ${w}.move_keys k ON m.system_id = k.system_id AND m.id = k.id
          AND k.move_id = ${id} AND k.inserted`,
    );
    await insertMove(conn, w, {
      moveId,
      shard,
      from: 'hot',
      to: 'warm',
      phase: 'copied',
      expected,
      objects: [],
    });
    return expected;
  });
}

/** From "copied" on: verify, delete the hot rows, mark "deleted" (also used by recover). */
export async function finishHotToWarm(
  t: Tiers,
  shard: number,
  moveId: string,
  expected: Stats,
  phase: 'copied' | 'verified' = 'copied',
): Promise<void> {
  const h = shardDbName(shard);
  const w = warmDbName(shard);
  if (phase === 'copied') {
    await t.withConnection(async (conn) => {
      const actual = await readStats(
        conn,
        inMove(`${w}.records`, `${w}.move_keys`, moveId),
        keptHashSql('m.'),
      );
      const mismatch = compareStats(moveId, 'warm copy', expected, actual);
      if (mismatch) {
        await rollbackDuckDbCopy(conn, w, `${w}.records`, moveId, mismatch.message);
        throw mismatch;
      }
      await setPhase(conn, w, moveId, 'verified');
    });
    await t.point('hot-warm', 'after-verify');
  }
  await t.hot.withShard(shard, (conn) =>
    inTransaction(conn, async () => {
      // files from before the key index may lack a key: it must outlive the hot row
      await conn.run(
        `INSERT INTO ${h}.record_keys SELECT m.system_id, m.id, m.content_sha256, m.ts
         ${inMove(`${h}.memories`, `${w}.move_keys`, moveId)} ON CONFLICT DO NOTHING`,
      );
      await conn.run(
        `DELETE FROM ${h}.memories m USING ${w}.move_keys k
          WHERE m.system_id = k.system_id AND m.id = k.id AND k.move_id = ${sqlString(moveId)}`,
      );
    }),
  );
  await t.point('hot-warm', 'mid-delete');
  await t.withConnection((conn) => endMove(conn, w, moveId));
}

/** Deletes what this move inserted at a DuckDB target, forgets its keys, marks it aborted. */
export async function rollbackDuckDbCopy(
  conn: DuckDBConnection,
  w: string,
  target: string,
  moveId: string,
  error: string,
): Promise<void> {
  await conn.run(
    `DELETE FROM ${target} m USING ${w}.move_keys k WHERE m.system_id = k.system_id
      AND m.id = k.id AND k.move_id = ${sqlString(moveId)} AND k.inserted`,
  );
  await inTransaction(conn, async () => {
    await conn.run(`DELETE FROM ${w}.move_keys WHERE move_id = ${sqlString(moveId)}`);
    await setPhase(conn, w, moveId, 'aborted', { error });
  });
}

/** The move's keys are forgotten and the move marked "deleted", in one warm transaction. */
export async function endMove(conn: DuckDBConnection, w: string, moveId: string): Promise<void> {
  await inTransaction(conn, async () => {
    await conn.run(`DELETE FROM ${w}.move_keys WHERE move_id = ${sqlString(moveId)}`);
    await setPhase(conn, w, moveId, 'deleted');
  });
}
