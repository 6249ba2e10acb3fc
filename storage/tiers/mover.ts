import { readdir, rm, stat } from 'node:fs/promises';
import { join, relative, sep } from 'node:path';
import type { DuckDBConnection } from '@duckdb/node-api';
import { shardDbName } from '../hot-schema';
import { coldKey, coldKeyDay, KIND_PREFIX, mapLimit, type ColdObject } from './cold-store';
import type { Tiers } from './context';
import {
  getMove,
  inTransaction,
  insertMove,
  newMoveId,
  openMoves,
  setPhase,
  type MoveEntry,
  type Tier,
} from './journal';
import { recoverRestore } from './restore';
import {
  keptHashSql,
  keyHashSql,
  quantiseSql,
  scaleSql,
  sqlString,
  summaryHeadSql,
  summarySql,
  tsSql,
  warmRowHashSql,
} from './sql';
import { compareStats, readStats, TierMoveError, type Stats } from './verify';
import { warmDbName } from './warm-store';

export interface MoveResult {
  moveId: string | null;
  from: Tier;
  to: Tier;
  shard: number;
  records: number;
  /** bytes written to the target (cold objects); 0 for DuckDB targets */
  bytes: number;
  objects: number;
  durationMs: number;
}

/** The records of a move, joined with the move's keys. */
const inMove = (table: string, keys: string, moveId: string, alias = 'm') =>
  `FROM ${table} ${alias} JOIN ${keys} k ON ${alias}.system_id = k.system_id AND ${alias}.id = k.id
   AND k.move_id = ${sqlString(moveId)}`;

/**
 * hot → warm for one shard: every hot record with `ts < olderThan`.
 * copy (one warm transaction: keys, rows, journal "copied") → verify → delete hot → "deleted".
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
      inMove(`${h}.memories`, `${w}.move_keys`, moveId),
      keptHashSql('m.'),
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
async function finishHotToWarm(
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
    conn.run(
      `DELETE FROM ${h}.memories m USING ${w}.move_keys k
        WHERE m.system_id = k.system_id AND m.id = k.id AND k.move_id = ${sqlString(moveId)}`,
    ),
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

/**
 * One COPY writes every partition; each file is uploaded as its planned object. ZSTD level 1:
 * int8 vectors barely compress at any level, and level 3 costs ~30 % more time.
 */
async function writeColdObjects(
  t: Tiers,
  conn: DuckDBConnection,
  shard: number,
  moveId: string,
  objects: ColdObject[],
): Promise<{ uploaded: ColdObject[]; bytes: number }> {
  const w = warmDbName(shard);
  const dir = await t.cold.tempDir();
  try {
    await conn.run(
      `COPY (SELECT m.*, m.kind AS p_kind, m.system_id AS p_sys, strftime(m.ts, '%Y-%m-%d') AS p_day
               ${inMove(`${w}.records`, `${w}.move_keys`, moveId)})
         TO ${sqlString(dir)} (FORMAT parquet, COMPRESSION zstd, COMPRESSION_LEVEL 1, PARTITION_BY (p_kind, p_sys, p_day),
                               FILENAME_PATTERN 'part_{i}')`,
    );
    const files = await partitionFiles(dir);
    let bytes = 0;
    const withPaths = objects.map((object) => {
      const [prefix, system, ...day] = object.key.split('/');
      const kind = prefix === KIND_PREFIX.reflection ? 'reflection' : 'conversation';
      const path = files.get(`${kind}\u001f${system}\u001f${day.slice(0, 3).join('-')}`);
      if (path === undefined) throw new Error(`move ${moveId}: no Parquet file for ${object.key}`);
      return { object, path: path.path };
    });
    for (const f of files.values()) bytes += f.size;
    const uploaded = await t.cold.upload(withPaths);
    await t.point('warm-cold', 'mid-copy');
    await setPhase(conn, w, moveId, 'copied', { objects: uploaded });
    return { uploaded, bytes };
  } finally {
    await rm(dir, { recursive: true, force: true });
  }
}

/** `p_kind=…/p_sys=…/p_day=…/part_0.parquet` → one file per partition (checked). */
async function partitionFiles(dir: string): Promise<Map<string, { path: string; size: number }>> {
  const files = new Map<string, { path: string; size: number }>();
  for (const rel of (await readdir(dir, { recursive: true })).sort()) {
    if (!rel.endsWith('.parquet')) continue;
    const parts = relative('.', rel).split(sep);
    const value = (name: string) =>
      decodeURIComponent(parts.find((p) => p.startsWith(`${name}=`))!.slice(name.length + 1));
    const path = join(dir, rel);
    const part = `${value('p_kind')}\u001f${value('p_sys')}\u001f${value('p_day')}`;
    if (files.has(part)) throw new Error(`more than one Parquet file for partition ${part}`);
    files.set(part, { path, size: (await stat(path)).size });
  }
  return files;
}

/** From "copied" on (also used by recover): verify every object, then delete the warm rows. */
async function finishWarmToCold(
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

async function rollbackColdCopy(
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

export interface ExpiredResult {
  hot: number;
  warm: number;
  coldObjects: number;
}

/**
 * Deletes what is older than the retention in every tier: hot and warm records by
 * timestamp (not those of a move in progress), cold objects whose whole day is older.
 */
export async function deleteExpired(
  t: Tiers,
  retentionDays: number,
  now = new Date(),
): Promise<ExpiredResult> {
  const cutoff = new Date(now.getTime() - retentionDays * 86_400_000);
  const result: ExpiredResult = { hot: 0, warm: 0, coldObjects: 0 };
  for (const shard of t.hot.shards) {
    result.hot += await t.moveLock.run(shard, () =>
      t.hot.withShard(shard, async (conn, h) => {
        const r = await conn.run(`DELETE FROM ${h}.memories WHERE ts < ${tsSql(cutoff)}`);
        return Number(r.rowsChanged);
      }),
    );
  }
  for (const shard of t.warm.shards) {
    const w = warmDbName(shard);
    result.warm += await t.moveLock.run(shard, () =>
      t.withConnection(async (conn) => {
        const r = await conn.run(
          `DELETE FROM ${w}.records WHERE ts < ${tsSql(cutoff)} AND NOT EXISTS
             (SELECT 1 FROM ${w}.move_keys k WHERE k.system_id = records.system_id AND k.id = records.id)`,
        );
        return Number(r.rowsChanged);
      }),
    );
  }
  const keys = [
    ...(await t.cold.objects.list(`${KIND_PREFIX.conversation}/`)),
    ...(await t.cold.objects.list(`${KIND_PREFIX.reflection}/`)),
  ].filter((k) => {
    const day = coldKeyDay(k);
    return day !== null && day.getTime() + 86_400_000 <= cutoff.getTime();
  });
  await mapLimit(keys, 8, (k) => t.cold.objects.delete(k));
  result.coldObjects = keys.length;
  return result;
}

export interface RecoveryReport {
  /** moves finished (source deleted) */
  completed: string[];
  /** moves rolled back (source kept) */
  rolledBack: string[];
}

/**
 * Run once at start, before any move or ingest: finishes or rolls back every move the
 * journals show in progress, so every record ends in exactly one tier.
 *  - hot→warm "copied": verify, then delete hot (mismatch: drop the warm copy)
 *  - warm→cold "planned": delete the planned objects (some may exist), abort
 *  - warm→cold "copied": verify the objects, then delete warm (mismatch: delete objects)
 *  - any "verified": delete the source again (idempotent) and mark "deleted"
 *  - restores: see restore.ts
 */
export async function recover(t: Tiers): Promise<RecoveryReport> {
  const report: RecoveryReport = { completed: [], rolledBack: [] };
  for (const shard of t.warm.shards) {
    const r = await recoverShard(t, shard);
    report.completed.push(...r.completed);
    report.rolledBack.push(...r.rolledBack);
  }
  return report;
}

/** recover() for one shard; the TierMover also runs it before each move of the shard. */
export async function recoverShard(t: Tiers, shard: number): Promise<RecoveryReport> {
  const report: RecoveryReport = { completed: [], rolledBack: [] };
  await t.warm.attach(shard);
  const w = warmDbName(shard);
  await t.moveLock.run(shard, async () => {
    for (const move of await t.withConnection((conn) => openMoves(conn, w))) {
      await recoverMove(t, move);
      const phase = await t.withConnection((conn) => getMove(conn, w, move.moveId));
      (phase === 'deleted' ? report.completed : report.rolledBack).push(move.moveId);
    }
  });
  return report;
}

async function recoverMove(t: Tiers, move: MoveEntry): Promise<void> {
  const w = warmDbName(move.shard);
  const ignoreMismatch = (err: unknown) => {
    if (!(err instanceof TierMoveError)) throw err;
  };
  if (move.from === 'hot' && move.to === 'warm') {
    if (move.phase === 'planned') {
      await t.withConnection((conn) =>
        rollbackDuckDbCopy(conn, w, `${w}.records`, move.moveId, 'recovered from planned'),
      );
      return;
    }
    await t.hot.attach(move.shard);
    await finishHotToWarm(t, move.shard, move.moveId, move.expected!, phaseOf(move)).catch(
      ignoreMismatch,
    );
    return;
  }
  if (move.from === 'warm' && move.to === 'cold') {
    await t.withConnection(async (conn) => {
      if (move.phase === 'planned') {
        await rollbackColdCopy(t, conn, w, move.moveId, move.objects, 'recovered from planned');
        return;
      }
      await finishWarmToCold(t, conn, move.shard, move.moveId, move.objects, phaseOf(move)).catch(
        ignoreMismatch,
      );
    });
    return;
  }
  await recoverRestore(t, move).catch(ignoreMismatch);
}

const phaseOf = (move: MoveEntry): 'copied' | 'verified' =>
  move.phase === 'verified' ? 'verified' : 'copied';
