import { coldKeyDay, KIND_PREFIX, mapLimit } from './cold-store';
import type { Tiers } from './context';
import { tsSql } from './sql';
import { warmDbName } from './warm-store';

export interface ExpiredResult {
  hot: number;
  warm: number;
  coldObjects: number;
  /** chunk rows past the uploads stream's retention */
  chunks: number;
}

/**
 * Deletes what is older than the retention in every tier: hot and warm records by
 * timestamp (not those of a move in progress), cold objects whose whole day is older, and
 * their keys from the key index. Prunes chunk rows past the uploads stream's retention.
 */
export async function deleteExpired(
  t: Tiers,
  retentionDays: number,
  now = new Date(),
): Promise<ExpiredResult> {
  const cutoff = new Date(now.getTime() - retentionDays * 86_400_000);
  // cold objects go by whole days: a key is forgotten only once its day is gone everywhere
  const keysBefore = new Date(Math.floor(cutoff.getTime() / 86_400_000) * 86_400_000);
  const result: ExpiredResult = { hot: 0, warm: 0, coldObjects: 0, chunks: 0 };
  for (const shard of t.hot.shards) {
    result.hot += await t.moveLock.run(shard, () =>
      t.hot.withShard(shard, async (conn, h) => {
        const r = await conn.run(`DELETE FROM ${h}.memories WHERE ts < ${tsSql(cutoff)}`);
        await conn.run(`DELETE FROM ${h}.record_keys WHERE ts < ${tsSql(keysBefore)}`);
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
  result.chunks = await t.hot.pruneChunks(now.getTime());
  return result;
}
