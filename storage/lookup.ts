import { rm } from 'node:fs/promises';
import { VARCHAR, type DuckDBConnection } from '@duckdb/node-api';
import { shardOf } from '../schemas';
import { shardDbName } from './hot-schema';
import type { HotStore } from './hot-store';
import { isoSql } from './time';
import type { TierMover } from './tiers';
import { interruptible, readParquetSql } from './tiers/cold-store';
import { coldTimeout, deadline, tooManyObjects } from './tiers/cold-limits';
import { warmDbName } from './tiers/warm-store';

/** One stored memory as the query API returns it, from whichever tier holds it. */
export interface StoredMemory {
  system_id: string;
  id: string;
  kind: string;
  /** the full text; a summary where the tier keeps only that (then `summary: true`) */
  content: string;
  summary?: true;
  timestamp: string;
  project: string | null;
  tags: string[];
  metadata: Record<string, unknown>;
  upload_id: string;
  shard: number;
  tier: 'hot' | 'warm' | 'cold';
  embedder_model: string;
  ingested_at: string;
}

/** Cold objects read per round: a record is usually found before every object is fetched. */
const COLD_BATCH = 8;

/**
 * `summarised`: warm and cold hold a summary; a hot row holds one too when it was restored
 * from those tiers, which shows as content no longer matching the original's sha256.
 */
const selectSql = (tier: StoredMemory['tier'], from: string) =>
  `SELECT system_id, id, kind, ${tier === 'hot' ? 'content' : 'summary'} AS content,
          ${tier === 'hot' ? 'sha256(content) <> content_sha256' : 'true'} AS summarised,
          ${isoSql('ts')} AS timestamp, project, tags, metadata, upload_id, embedder_model,
          ${isoSql('ingested_at')} AS ingested_at
     FROM ${from} WHERE system_id = $1 AND id = $2 LIMIT 1`;

/**
 * Looks a record up in hot, then warm, then cold (Parquet objects of its system, newest day
 * first). The order follows the moves: a record is copied to the next tier before it is
 * deleted from the previous one, so a move in progress never hides it.
 */
export async function findMemory(
  store: HotStore,
  mover: TierMover | undefined,
  systemId: string,
  id: string,
): Promise<StoredMemory | null> {
  const shard = shardOf(systemId);
  const conn = await store.connect();
  try {
    if (store.shards.includes(shard)) {
      const row = await readOne(conn, selectSql('hot', `${shardDbName(shard)}.memories`), [
        systemId,
        id,
      ]);
      if (row) return toMemory(row, shard, 'hot');
    }
    if (!mover) return null;
    if (mover.warm.shards.includes(shard)) {
      const row = await readOne(conn, selectSql('warm', `${warmDbName(shard)}.records`), [
        systemId,
        id,
      ]);
      if (row) return toMemory(row, shard, 'warm');
    }
    const row = await findCold(conn, mover, systemId, id);
    return row ? toMemory(row, shard, 'cold') : null;
  } finally {
    conn.closeSync();
  }
}

/**
 * The newest `maxObjects` objects are read, within `timeoutMs` (downloads and scans are
 * aborted past it): a record not found in them while older ones exist is a
 * ColdReadLimitError, not a "not found".
 */
async function findCold(
  conn: DuckDBConnection,
  mover: TierMover,
  systemId: string,
  id: string,
): Promise<Record<string, unknown> | undefined> {
  const { maxObjects, timeoutMs } = mover.cold.limits;
  const keys = (await mover.cold.keysOf(systemId)).reverse();
  const stop = deadline(timeoutMs);
  try {
    for (let i = 0; i < Math.min(keys.length, maxObjects); i += COLD_BATCH) {
      const row = await findInBatch(
        conn,
        mover,
        keys.slice(i, Math.min(i + COLD_BATCH, maxObjects)),
        stop,
        [systemId, id],
      );
      if (row) return row;
    }
  } catch (err) {
    if (stop.aborted) throw coldTimeout(timeoutMs);
    throw err;
  }
  if (keys.length > maxObjects) throw tooManyObjects(systemId, keys.length, maxObjects);
  return undefined;
}

async function findInBatch(
  conn: DuckDBConnection,
  mover: TierMover,
  keys: string[],
  stop: AbortSignal,
  params: string[],
): Promise<Record<string, unknown> | undefined> {
  const dir = await mover.cold.tempDir();
  try {
    const batch = keys.map((key) => ({ key }));
    const files = await mover.cold.download('lookup', batch, dir, stop);
    const sql = selectSql('cold', readParquetSql(files));
    return await interruptible(conn, stop, () => readOne(conn, sql, params));
  } finally {
    await rm(dir, { recursive: true, force: true });
  }
}

async function readOne(
  conn: DuckDBConnection,
  sql: string,
  params: string[],
): Promise<Record<string, unknown> | undefined> {
  const reader = await conn.runAndReadAll(
    sql,
    params,
    params.map(() => VARCHAR),
  );
  return reader.getRowObjectsJS()[0];
}

function toMemory(
  row: Record<string, unknown>,
  shard: number,
  tier: StoredMemory['tier'],
): StoredMemory {
  return {
    system_id: String(row.system_id),
    id: String(row.id),
    kind: String(row.kind),
    content: String(row.content),
    ...(row.summarised === true && { summary: true as const }),
    timestamp: String(row.timestamp),
    project: row.project === null ? null : String(row.project),
    tags: (row.tags as string[] | null) ?? [],
    metadata: JSON.parse(String(row.metadata)) as Record<string, unknown>,
    upload_id: String(row.upload_id),
    shard,
    tier,
    embedder_model: String(row.embedder_model),
    ingested_at: String(row.ingested_at),
  };
}
