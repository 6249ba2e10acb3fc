import { rm } from 'node:fs/promises';
import type { DuckDBConnection } from '@duckdb/node-api';
import { shardOf } from '../../schemas';
import { shardDbName } from '../hot-schema';
import { readParquetSql, type ColdObject, type Downloaded } from './cold-store';
import type { Tiers } from './context';
import { inTransaction, insertMove, newMoveId, setPhase, type MoveEntry } from './journal';
import { dequantiseSql, keptHashSql, sqlString, tsSql } from './sql';
import { compareStats, readStats, TierMoveError, type Stats } from './verify';
import { warmDbName } from './warm-store';

export interface RestoreResult {
  systemId: string;
  shard: number;
  fromWarm: number;
  fromCold: number;
  moves: string[];
}

/**
 * Brings a system's warm and cold records (optionally those since `since`) back to hot,
 * as verified moves journalled like the others. Warm is exact to the timestamp; cold is
 * restored by whole day objects (every object whose day is on or after `since`'s day).
 * Hot gets the warm form: the summary as content (content_sha256 of the original kept)
 * and the dequantised vector; a key already in hot keeps its hot row.
 */
export function restoreToHot(t: Tiers, systemId: string, since?: Date): Promise<RestoreResult> {
  const shard = shardOf(systemId);
  return t.moveLock.run(shard, async () => {
    await t.warm.attach(shard);
    await t.hot.attach(shard);
    const result: RestoreResult = { systemId, shard, fromWarm: 0, fromCold: 0, moves: [] };
    const warmMove = await planWarmToHot(t, shard, systemId, since);
    if (warmMove) {
      await finishRestore(t, warmMove);
      result.fromWarm = warmMove.expected!.count;
      result.moves.push(warmMove.moveId);
    }
    const coldMove = await planColdToHot(t, shard, systemId, since);
    if (coldMove) {
      await finishRestore(t, coldMove);
      result.fromCold = coldMove.expected!.count;
      result.moves.push(coldMove.moveId);
    }
    return result;
  });
}

/** Called by recover() for restore moves in progress: rolls them forward. */
export async function recoverRestore(t: Tiers, move: MoveEntry): Promise<void> {
  await t.hot.attach(move.shard);
  await finishRestore(t, move);
}

async function planWarmToHot(
  t: Tiers,
  shard: number,
  systemId: string,
  since: Date | undefined,
): Promise<MoveEntry | null> {
  const w = warmDbName(shard);
  const h = shardDbName(shard);
  const moveId = newMoveId('wh', shard);
  return t.withConnection((conn) =>
    inTransaction(conn, async () => {
      await conn.run(
        `INSERT INTO ${w}.move_keys
         SELECT ${sqlString(moveId)}, r.system_id, r.id,
                NOT EXISTS (SELECT 1 FROM ${h}.memories x WHERE x.system_id = r.system_id AND x.id = r.id)
           FROM ${w}.records r WHERE r.system_id = ${sqlString(systemId)}
            ${since ? `AND r.ts >= ${tsSql(since)}` : ''}
            AND NOT EXISTS (SELECT 1 FROM ${w}.move_keys o WHERE o.system_id = r.system_id AND o.id = r.id)`,
      );
      const expected = await readStats(
        conn,
        `FROM ${w}.records m JOIN ${w}.move_keys k ON m.system_id = k.system_id AND m.id = k.id
           AND k.move_id = ${sqlString(moveId)}`,
        keptHashSql('m.'),
      );
      if (expected.count === 0) return null;
      const move: MoveEntry = {
        moveId,
        shard,
        from: 'warm',
        to: 'hot',
        phase: 'planned',
        expected,
        objects: [],
        error: null,
      };
      await insertMove(conn, w, move);
      return move;
    }),
  );
}

async function planColdToHot(
  t: Tiers,
  shard: number,
  systemId: string,
  since: Date | undefined,
): Promise<MoveEntry | null> {
  const keys = await t.cold.keysOf(systemId, since);
  if (keys.length === 0) return null;
  const objects: ColdObject[] = [];
  for (const key of keys) {
    const meta = await t.cold.objects.head(key);
    if (meta === null) continue;
    objects.push({
      key,
      sha256: meta.sha256 ?? '',
      expected: {
        count: Number(meta.rows ?? 0),
        keys: meta['keys-hash'] ?? '0',
        records: meta['records-hash'] ?? '0',
      },
    });
  }
  if (objects.length === 0) return null;
  const move: MoveEntry = {
    moveId: newMoveId('ch', shard),
    shard,
    from: 'cold',
    to: 'hot',
    phase: 'planned',
    expected: sumExpected(objects),
    objects,
    error: null,
  };
  await t.withConnection((conn) => insertMove(conn, warmDbName(shard), move));
  return move;
}

/** copy (idempotent, so "planned" rolls forward) → verify → delete the source → "deleted". */
async function finishRestore(t: Tiers, move: MoveEntry): Promise<void> {
  const kind = move.from === 'warm' ? 'warm-hot' : 'cold-hot';
  if (move.phase === 'planned') {
    await (move.from === 'warm' ? copyWarmToHot(t, move) : copyColdToHot(t, move));
    await t.withConnection((conn) => setPhase(conn, warmDbName(move.shard), move.moveId, 'copied'));
    await t.point(kind, 'after-copy');
  }
  if (move.phase !== 'verified') {
    await verifyInHot(t, move);
    await t.point(kind, 'after-verify');
  }
  await deleteRestoredSource(t, move);
}

const INSERT_HOT_SQL = (h: string, from: string, where: string) =>
  `INSERT INTO ${h}.memories
   SELECT m.system_id, m.id, m.kind, m.summary, m.content_sha256, m.ts, m.project, m.tags,
          m.metadata, ${dequantiseSql('m.vec_q', 'm.vec_scale')}, m.vector_source,
          m.embedder_model, m.upload_id, m.ingested_at
     FROM ${from} WHERE ${where}
      AND NOT EXISTS (SELECT 1 FROM ${h}.memories x WHERE x.system_id = m.system_id AND x.id = m.id)`;

async function copyWarmToHot(t: Tiers, move: MoveEntry): Promise<void> {
  const w = warmDbName(move.shard);
  const from = `${w}.records m JOIN ${w}.move_keys k ON m.system_id = k.system_id AND m.id = k.id
    AND k.move_id = ${sqlString(move.moveId)}`;
  await t.hot.withShard(move.shard, async (conn, h, learn) => {
    await conn.run(INSERT_HOT_SQL(h, from, 'k.inserted'));
    await learnRows(conn, `SELECT m.system_id, m.id, m.content_sha256 FROM ${from}`, learn);
  });
}

async function copyColdToHot(t: Tiers, move: MoveEntry): Promise<void> {
  const w = warmDbName(move.shard);
  const dir = await t.cold.tempDir();
  try {
    const files = await downloadVerified(t, move, dir);
    const from = `${readParquetSql(files)} m`;
    await t.withConnection((conn) =>
      inTransaction(conn, async () => {
        await conn.run(`DELETE FROM ${w}.move_keys WHERE move_id = ${sqlString(move.moveId)}`);
        await conn.run(
          `INSERT INTO ${w}.move_keys SELECT ${sqlString(move.moveId)}, m.system_id, m.id,
             NOT EXISTS (SELECT 1 FROM ${shardDbName(move.shard)}.memories x
                          WHERE x.system_id = m.system_id AND x.id = m.id) FROM ${from}`,
        );
      }),
    );
    await t.hot.withShard(move.shard, async (conn, h, learn) => {
      await conn.run(INSERT_HOT_SQL(h, from, 'true'));
      await learnRows(conn, `SELECT m.system_id, m.id, m.content_sha256 FROM ${from}`, learn);
    });
  } finally {
    await rm(dir, { recursive: true, force: true });
  }
}

/** Downloads the objects (sha256 checked) and checks their rows against their metadata. */
async function downloadVerified(t: Tiers, move: MoveEntry, dir: string): Promise<Downloaded[]> {
  const fail = async (err: TierMoveError) => {
    await t.withConnection((conn) =>
      inTransaction(conn, async () => {
        await conn.run(
          `DELETE FROM ${warmDbName(move.shard)}.move_keys WHERE move_id = ${sqlString(move.moveId)}`,
        );
        await setPhase(conn, warmDbName(move.shard), move.moveId, 'aborted', {
          error: err.message,
        });
      }),
    );
    return err;
  };
  let files: Downloaded[];
  try {
    files = await t.cold.download(move.moveId, move.objects, dir);
  } catch (err) {
    if (err instanceof TierMoveError) throw await fail(err);
    throw err;
  }
  const stats = await t.withConnection((conn) => t.cold.fileStats(conn, files));
  for (const o of move.objects) {
    const actual = stats.get(o.key) ?? { count: 0, keys: '0', records: '0' };
    const mismatch = compareStats(move.moveId, o.key, o.expected, actual);
    if (mismatch) throw await fail(mismatch);
  }
  return files;
}

async function learnRows(
  conn: DuckDBConnection,
  sql: string,
  learn: (systemId: string, id: string, sha256: string) => void,
): Promise<void> {
  const reader = await conn.runAndReadAll(sql);
  for (const [s, id, sha] of reader.getRows() as [string, string, string][]) learn(s, id, sha);
}

/** Every key of the move is in hot (count + key hash); otherwise drop what it inserted. */
async function verifyInHot(t: Tiers, move: MoveEntry): Promise<void> {
  const w = warmDbName(move.shard);
  await t.hot.withShard(move.shard, async (conn, h) => {
    const actual = await readStats(
      conn,
      `FROM ${h}.memories m JOIN ${w}.move_keys k ON m.system_id = k.system_id AND m.id = k.id
         AND k.move_id = ${sqlString(move.moveId)}`,
      keptHashSql('m.'),
    );
    const mismatch = compareStats(move.moveId, 'hot copy', move.expected!, actual, false);
    if (mismatch) {
      await conn.run(
        `DELETE FROM ${h}.memories m USING ${w}.move_keys k WHERE m.system_id = k.system_id
          AND m.id = k.id AND k.move_id = ${sqlString(move.moveId)} AND k.inserted`,
      );
      await inTransaction(conn, async () => {
        await conn.run(`DELETE FROM ${w}.move_keys WHERE move_id = ${sqlString(move.moveId)}`);
        await setPhase(conn, w, move.moveId, 'aborted', { error: mismatch.message });
      });
      throw mismatch;
    }
    await setPhase(conn, w, move.moveId, 'verified');
  });
}

async function deleteRestoredSource(t: Tiers, move: MoveEntry): Promise<void> {
  const w = warmDbName(move.shard);
  const id = sqlString(move.moveId);
  if (move.from === 'cold') {
    for (const [i, o] of move.objects.entries()) {
      await t.cold.objects.delete(o.key);
      if (i === 0) await t.point('cold-hot', 'mid-delete');
    }
  }
  await t.withConnection((conn) =>
    inTransaction(conn, async () => {
      if (move.from === 'warm')
        await conn.run(
          `DELETE FROM ${w}.records m USING ${w}.move_keys k
            WHERE m.system_id = k.system_id AND m.id = k.id AND k.move_id = ${id}`,
        );
      await conn.run(`DELETE FROM ${w}.move_keys WHERE move_id = ${id}`);
      await setPhase(conn, w, move.moveId, 'deleted');
    }),
  );
}

function sumExpected(objects: ColdObject[]): Stats {
  return {
    count: objects.reduce((n, o) => n + o.expected.count, 0),
    keys: objects.reduce((n, o) => n + BigInt(o.expected.keys), 0n).toString(),
    records: objects.reduce((n, o) => n + BigInt(o.expected.records), 0n).toString(),
  };
}
