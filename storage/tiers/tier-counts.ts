import { VARCHAR } from '@duckdb/node-api';
import { shardOf } from '../../schemas';
import { shardDbName } from '../hot-schema';
import type { HotStore } from '../hot-store';
import { coldKeyDay, KIND_PREFIX, mapLimit, type ColdStore } from './cold-store';
import type { TierMover } from './index';
import { warmDbName } from './warm-store';

export interface TierCounts {
  hot: number;
  warm: number;
  cold: number;
}

/** HEADs in flight at once when reading the row counts of cold objects. */
const HEAD_CONCURRENCY = 8;

/**
 * Records per system and tier in the shards this process holds (hot and warm: one
 * GROUP BY per attached file) and in the cold objects it sees (row counts from each
 * object's metadata, reused for AKOSHA_COLD_COUNTS_TTL_S: a HEAD per object is slow). `systemId` limits everything to that system. A record that a move
 * is copying counts in both tiers until the move deletes its source.
 */
export async function countsBySystem(
  store: HotStore,
  mover: TierMover | undefined,
  systemId?: string,
): Promise<Map<string, TierCounts>> {
  const only = systemId === undefined ? undefined : shardOf(systemId);
  const pick = (shards: number[]) => shards.filter((s) => only === undefined || s === only);
  const counts = new Map<string, TierCounts>();
  const add = (system: string, tier: keyof TierCounts, n: number) => {
    const c = counts.get(system) ?? { hot: 0, warm: 0, cold: 0 };
    c[tier] += n;
    counts.set(system, c);
  };
  const tables = [
    ...pick(store.shards).map((s) => ({
      tier: 'hot' as const,
      table: `${shardDbName(s)}.memories`,
    })),
    ...pick(mover?.warm.shards ?? []).map((s) => ({
      tier: 'warm' as const,
      table: `${warmDbName(s)}.records`,
    })),
  ];
  for (const row of await groupCounts(store, tables, systemId))
    add(String(row.system_id), row.tier as keyof TierCounts, Number(row.n));
  if (mover) {
    const cold = mover.cold;
    const coldRows = await cold.counts.get(systemId ?? '*', () => coldCounts(cold, systemId));
    for (const [system, n] of coldRows) add(system, 'cold', n);
  }
  return counts;
}

async function groupCounts(
  store: HotStore,
  tables: { tier: 'hot' | 'warm'; table: string }[],
  systemId: string | undefined,
): Promise<Record<string, unknown>[]> {
  if (tables.length === 0) return [];
  const union = tables
    .map(
      ({ tier, table }) =>
        `SELECT '${tier}' AS tier, system_id, count(*)::BIGINT AS n FROM ${table}
          WHERE $1::VARCHAR IS NULL OR system_id = $1::VARCHAR GROUP BY system_id`,
    )
    .join('\nUNION ALL\n');
  const conn = await store.connect();
  try {
    const reader = await conn.runAndReadAll(union, [systemId ?? null], [VARCHAR]);
    return reader.getRowObjectsJS();
  } finally {
    conn.closeSync();
  }
}

/** `<conversations|reflections>/<system>/<yyyy>/<mm>/<dd>/<move>.parquet` → rows per system. */
async function coldCounts(cold: ColdStore, systemId?: string): Promise<Map<string, number>> {
  const prefixes = Object.values(KIND_PREFIX).map((p) =>
    systemId === undefined ? `${p}/` : `${p}/${systemId}/`,
  );
  const listed = await Promise.all(prefixes.map((p) => cold.objects.list(p)));
  const keys = listed.flat().filter((key) => coldKeyDay(key) !== null);
  const rows = await mapLimit(keys, HEAD_CONCURRENCY, async (key) => {
    const meta = await cold.objects.head(key);
    return Number(meta?.rows ?? 0);
  });
  const counts = new Map<string, number>();
  keys.forEach((key, i) => {
    const system = key.split('/')[1];
    if (system !== undefined) counts.set(system, (counts.get(system) ?? 0) + rows[i]!);
  });
  return counts;
}
