import { type HotStore, shardDbName } from '../storage';

/** Far above what a replay writes: DuckDB then checkpoints only when told to. */
const DEFERRED_THRESHOLD = '1TB';

/**
 * A bulk load (replay) commits many large transactions; by default DuckDB merges
 * its WAL into the database file whenever the WAL passes 16 MB, so most of each
 * COMMIT is a checkpoint. Deferring them to one CHECKPOINT per shard at the end
 * keeps every commit as durable (the WAL is synced at commit) and costs ~4× less.
 * The setting is per DuckDB instance: a live writer sharing the store defers too
 * until `finish` restores it.
 */
export async function deferCheckpoints(
  store: HotStore,
): Promise<{ finish(shards: Iterable<number>): Promise<void> }> {
  const conn = await store.connect();
  const reader = await conn.runAndReadAll(
    `SELECT current_setting('checkpoint_threshold') AS threshold`,
  );
  const previous = String(reader.getRowObjectsJS()[0]?.threshold ?? '16MB').replace(/'/g, '');
  await conn.run(`SET GLOBAL checkpoint_threshold = '${DEFERRED_THRESHOLD}'`);
  return {
    async finish(shards) {
      try {
        for (const shard of shards) await conn.run(`CHECKPOINT ${shardDbName(shard)}`);
      } finally {
        await conn.run(`SET GLOBAL checkpoint_threshold = '${previous}'`);
        conn.closeSync();
      }
    },
  };
}
