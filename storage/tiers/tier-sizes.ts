import { VARCHAR } from '@duckdb/node-api';
import { EMBEDDING_DIM, shardOf } from '../../schemas';
import { duckdbFilesBytes } from '../disk';
import { shardDbName } from '../hot-schema';
import type { HotStore } from '../hot-store';
import { coldKeyDay, KIND_PREFIX, mapLimit, type ColdStore } from './cold-store';
import type { TierMover } from './index';
import { warmDbName } from './warm-store';

/** Records of one tier and the bytes they take there. */
export interface TierSize {
  records: number;
  bytes: number;
}

export interface TierSizes {
  hot: TierSize;
  warm: TierSize;
  cold: TierSize;
}

/** Per system, and the files of each tier on disk (shard files hold many systems). */
export interface SizesReport {
  systems: Map<string, TierSizes>;
  /** hot and warm: the DuckDB files of this process's shards; cold: every object it sees */
  diskBytes: Record<keyof TierSizes, number>;
}

/** HEADs in flight at once when reading the sizes of cold objects. */
const HEAD_CONCURRENCY = 8;
const HOT_VECTOR_BYTES = 4 * EMBEDDING_DIM; // FLOAT[dim]
const WARM_VECTOR_BYTES = EMBEDDING_DIM + 4; // TINYINT[dim] and its scale

export const emptySizes = (): TierSizes => ({
  hot: { records: 0, bytes: 0 },
  warm: { records: 0, bytes: 0 },
  cold: { records: 0, bytes: 0 },
});

/**
 * Records and bytes per system and tier in the shards this process holds and the cold
 * objects it sees. A shard file holds many systems, so a system's hot and warm bytes are
 * those of its data: text and metadata (UTF-8 bytes) and vectors (a record's and its
 * passages' in hot, the int8 vector and scale in warm); cold bytes are its Parquet objects'
 * (compressed). `systemId` limits everything to that system. Reads every text once: for a
 * dashboard polled every few seconds, not for a hot path.
 */
export async function sizesBySystem(
  store: HotStore,
  mover: TierMover | undefined,
  systemId?: string,
): Promise<SizesReport> {
  const only = systemId === undefined ? undefined : shardOf(systemId);
  const pick = (shards: number[]) => shards.filter((s) => only === undefined || s === only);
  const hot = pick(store.shards);
  const warm = pick(mover?.warm.shards ?? []);
  const systems = new Map<string, TierSizes>();
  const add = (system: string, tier: keyof TierSizes, size: TierSize) => {
    const sizes = systems.get(system) ?? emptySizes();
    sizes[tier].records += size.records;
    sizes[tier].bytes += size.bytes;
    systems.set(system, sizes);
  };
  for (const row of await groupSizes(store, sizeQueries(hot, warm), systemId))
    add(String(row.system_id), row.tier as 'hot' | 'warm', {
      records: Number(row.n),
      bytes: Number(row.bytes),
    });
  let coldBytes = 0;
  if (mover) {
    const cold = mover.cold;
    const coldRows = await cold.sizes.get(systemId ?? '*', () => coldSizes(cold, systemId));
    for (const [system, size] of coldRows) {
      add(system, 'cold', size);
      coldBytes += size.bytes;
    }
  }
  const diskBytes = {
    hot: duckdbFilesBytes(hot.map((s) => store.shardFile(s))),
    warm: mover ? duckdbFilesBytes(warm.map((s) => mover.warm.shardFile(s))) : 0,
    cold: coldBytes,
  };
  return { systems, diskBytes };
}

/** One SELECT per attached table: tier, system, records (or 0 for passages), bytes. */
function sizeQueries(hot: number[], warm: number[]): string[] {
  const where = 'WHERE $1::VARCHAR IS NULL OR system_id = $1::VARCHAR GROUP BY system_id';
  return [
    ...hot.flatMap((s) => [
      `SELECT 'hot' AS tier, system_id, count(*)::BIGINT AS n,
         (sum(strlen(content) + strlen(metadata)) + count(*) * ${HOT_VECTOR_BYTES})::BIGINT AS bytes
         FROM ${shardDbName(s)}.memories ${where}`,
      `SELECT 'hot' AS tier, system_id, 0::BIGINT AS n,
         (count(*) * ${HOT_VECTOR_BYTES})::BIGINT AS bytes
         FROM ${shardDbName(s)}.memory_passages ${where}`,
    ]),
    ...warm.map(
      (s) => `SELECT 'warm' AS tier, system_id, count(*)::BIGINT AS n,
         (sum(strlen(summary) + strlen(metadata)) + count(*) * ${WARM_VECTOR_BYTES})::BIGINT AS bytes
         FROM ${warmDbName(s)}.records ${where}`,
    ),
  ];
}

async function groupSizes(
  store: HotStore,
  queries: string[],
  systemId: string | undefined,
): Promise<Record<string, unknown>[]> {
  if (queries.length === 0) return [];
  const conn = await store.connect();
  try {
    const sql = queries.join('\nUNION ALL\n');
    const reader = await conn.runAndReadAll(sql, [systemId ?? null], [VARCHAR]);
    return reader.getRowObjectsJS();
  } finally {
    conn.closeSync();
  }
}

/** `<conversations|reflections>/<system>/…/<move>.parquet` → rows and bytes per system. */
async function coldSizes(cold: ColdStore, systemId?: string): Promise<Map<string, TierSize>> {
  const prefixes = Object.values(KIND_PREFIX).map((p) =>
    systemId === undefined ? `${p}/` : `${p}/${systemId}/`,
  );
  const listed = await Promise.all(prefixes.map((p) => cold.objects.list(p)));
  const keys = listed.flat().filter((key) => coldKeyDay(key) !== null);
  const metas = await mapLimit(keys, HEAD_CONCURRENCY, (key) => cold.objects.head(key));
  const sizes = new Map<string, TierSize>();
  keys.forEach((key, i) => {
    const system = key.split('/')[1];
    if (system === undefined) return;
    const size = sizes.get(system) ?? { records: 0, bytes: 0 };
    size.records += Number(metas[i]?.rows ?? 0);
    size.bytes += Number(metas[i]?.bytes ?? 0);
    sizes.set(system, size);
  });
  return sizes;
}
