import { availableParallelism } from 'node:os';
import type { DuckDBConnection } from '@duckdb/node-api';
import { type HotStore, shardDbName } from '../storage';

/** Far above what a replay writes: DuckDB then checkpoints only when told to. */
const DEFERRED_THRESHOLD = '1TB';

/**
 * A bulk load's DuckDB settings, restored by `finish`:
 * - checkpoints deferred: a bulk load (replay) commits many large transactions; by default
 *   DuckDB merges its WAL into the database file whenever the WAL passes 16 MB, so most of
 *   each COMMIT is a checkpoint. One CHECKPOINT per shard at the end keeps every commit as
 *   durable (the WAL is synced at commit) and costs ~4× less;
 * - every core: the hot store's instance runs on one thread by default (small statements
 *   spin less), but a bulk load's large inserts and its final checkpoints use them all.
 * The settings are per DuckDB instance: a live writer sharing the store has them too until
 * `finish`.
 */
export interface BulkSettings {
  /** checkpoints the shards, then restores the settings */
  finish(shards: Iterable<number>): Promise<void>;
}

export async function bulkSettings(
  store: HotStore,
  threads = availableParallelism(),
): Promise<BulkSettings> {
  const conn = await store.connect();
  const previous = {
    threshold: (await setting(conn, 'checkpoint_threshold', '16MB')).replace(/'/g, ''),
    threads: Number(await setting(conn, 'threads', '1')),
  };
  await conn.run(`SET GLOBAL checkpoint_threshold = '${DEFERRED_THRESHOLD}'`);
  if (threads > previous.threads) await conn.run(`SET GLOBAL threads = ${Math.floor(threads)}`);
  return {
    async finish(shards) {
      try {
        // FORCE waits for running transactions (a live writer's, an index re-sync's reads)
        // where a plain CHECKPOINT fails
        for (const shard of shards) await conn.run(`FORCE CHECKPOINT ${shardDbName(shard)}`);
      } finally {
        await conn.run(`SET GLOBAL checkpoint_threshold = '${previous.threshold}'`);
        await conn.run(`SET GLOBAL threads = ${previous.threads}`);
        conn.closeSync();
      }
    },
  };
}

async function setting(conn: DuckDBConnection, name: string, fallback: string): Promise<string> {
  const reader = await conn.runAndReadAll(`SELECT current_setting('${name}') AS value`);
  return String(reader.getRowObjectsJS()[0]?.value ?? fallback);
}
