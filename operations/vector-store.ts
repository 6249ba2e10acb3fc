import type { DuckDBConnection } from '@duckdb/node-api';
import {
  hotShardKeys,
  type HotStore,
  QdrantHotIndex,
  qdrantIndexOf,
  shardFilter,
} from '../storage';
import type { QdrantHotOptions, VectorStoreOptions } from '../infra';

export interface VectorShardCheck {
  shard: number;
  /** points the shard's rows make (records and passages of long texts) */
  rows: number;
  /** points the collection holds for the shard */
  points: number;
  /** a few keys (system_id/point id) the collection lacks */
  missing: string[];
  /** a few keys the collection holds that no row makes */
  extra: string[];
  ok: boolean;
}

export interface VectorVerification {
  collection: string;
  shards: VectorShardCheck[];
  /** shards whose points differ from their rows */
  drift: number[];
  ok: boolean;
}

/**
 * Compares the shared Qdrant collection with the hot shards, shard by shard: every record
 * and passage must have its point, and no point may be left of a record no longer hot.
 * A drifting shard is repaired by the writer's upkeep once it is marked stale (at its next
 * start, by the count check) or by `akosha replay` (which re-syncs the shards it opens).
 */
export async function verifyVectors(
  store: HotStore,
  opts: QdrantHotOptions,
  shards: number[],
  examples = 5,
): Promise<VectorVerification> {
  const index = qdrantIndexOf(opts);
  const conn = await store.connect();
  try {
    const checks: VectorShardCheck[] = [];
    for (const shard of shards) {
      const rows = store.shards.includes(shard) ? await shardKeys(conn, shard) : new Set<string>();
      const points = new Set<string>();
      for await (const page of index.scroll(shardFilter(shard), ['system_id', 'id'])) {
        for (const { payload } of page)
          points.add(`${String(payload.system_id)}/${String(payload.id)}`);
      }
      const missing = [...rows].filter((k) => !points.has(k)).sort();
      const extra = [...points].filter((k) => !rows.has(k)).sort();
      const ok = missing.length + extra.length === 0;
      const sample = (keys: string[]) => keys.slice(0, examples);
      checks.push({
        shard,
        rows: rows.size,
        points: points.size,
        missing: sample(missing),
        extra: sample(extra),
        ok,
      });
    }
    const drift = checks.filter((c) => !c.ok).map((c) => c.shard);
    return { collection: opts.collection, shards: checks, drift, ok: drift.length === 0 };
  } finally {
    conn.closeSync();
    await index.close();
  }
}

async function shardKeys(conn: DuckDBConnection, shard: number): Promise<Set<string>> {
  return new Set((await hotShardKeys(conn, shard)).map((k) => `${k.system_id}/${k.id}`));
}

/**
 * Writes every point of every hot shard again (after `akosha reembed` gave the records new
 * vectors) and deletes points of records no longer hot: the collection equals the shards.
 * Searches go on meanwhile, over a mix of old and new points until it is done.
 */
export async function rebuildVectors(
  store: HotStore,
  opts: QdrantHotOptions,
): Promise<{ shards: number; written: number; removed: number }> {
  const index = QdrantHotIndex.create(opts);
  const conn = await store.connect();
  const total = { shards: 0, written: 0, removed: 0 };
  try {
    for (const shard of store.shards) {
      const synced = await index.syncShard(conn, shard, true);
      total.shards++;
      total.written += synced.added;
      total.removed += synced.removed;
    }
    return total;
  } finally {
    conn.closeSync();
    await index.close();
  }
}

/** `akosha replay`: the shared collection made equal to every shard the store holds (Qdrant only). */
export async function resyncSharedVectors(store: HotStore, vectors: VectorStoreOptions) {
  return vectors.kind === 'qdrant' ? store.resyncIndex(store.shards) : undefined;
}

/** `akosha reembed`: every point written again with its new vector (Qdrant only). */
export async function rebuildSharedVectors(store: HotStore, vectors: VectorStoreOptions) {
  return vectors.kind === 'qdrant' ? rebuildVectors(store, vectors.qdrant) : undefined;
}

/** `akosha verify`: the shared collection against the shards (Qdrant only); unreachable is drift. */
export async function verifySharedVectors(
  store: HotStore,
  vectors: VectorStoreOptions,
  shards: number[],
): Promise<(VectorVerification & { error?: string }) | undefined> {
  if (vectors.kind !== 'qdrant') return undefined;
  const { collection } = vectors.qdrant;
  return verifyVectors(store, vectors.qdrant, shards).catch((err: unknown) => ({
    collection,
    shards: [],
    drift: shards,
    ok: false,
    error: String(err),
  }));
}
