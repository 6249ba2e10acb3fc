import { z } from 'zod';
import type { Embedder } from '../embedding/embedder';
import { shardOf, SystemId } from '../schemas/ids';
import type { HotHit, HotStore } from '../storage/hot-store';
import type { TierMover } from '../storage/tiers';
import type { WarmHit } from '../storage/tiers/warm-store';

export const SearchRequest = z.object({
  query: z.string().min(1).max(10_000),
  limit: z.number().int().min(1).max(1000).default(10),
  threshold: z.number().min(-1).max(1).optional(),
  system_id: SystemId.optional(),
});
export type SearchRequest = z.infer<typeof SearchRequest>;

export type SearchHit = HotHit | WarmHit;

export interface SearchResponse {
  query: string;
  results: SearchHit[];
  total: number;
  embedder: Embedder['info'];
  took_ms: number;
}

/**
 * Search over the tiers this process holds: hot and warm always, cold (Parquet
 * objects read back, slower) when the query names a system. Each record appears
 * once, at its best similarity.
 */
export async function searchHot(
  store: HotStore,
  embedder: Embedder,
  req: SearchRequest,
  mover?: TierMover,
): Promise<SearchResponse> {
  const started = performance.now();
  const [vector] = await embedder.embed([req.query]);
  const shards = req.system_id ? [shardOf(req.system_id)] : undefined;
  const opts = { limit: req.limit, systemId: req.system_id, shards };
  const tiers = await Promise.all([
    store.search(vector!, opts),
    mover ? mover.warm.search(vector!, opts) : [],
    mover && req.system_id ? searchCold(store, mover, vector!, req.system_id, req.limit) : [],
  ]);
  const results = mergeHits(tiers.flat(), req.limit, req.threshold);
  return {
    query: req.query,
    results,
    total: results.length,
    embedder: embedder.info,
    took_ms: performance.now() - started,
  };
}

async function searchCold(
  store: HotStore,
  mover: TierMover,
  vector: Float32Array,
  systemId: string,
  limit: number,
) {
  const conn = await store.connect();
  try {
    return await mover.cold.search(conn, vector, { systemId, limit });
  } finally {
    conn.closeSync();
  }
}

/** Best first, one hit per (system_id, id), at or above the threshold, at most limit. */
export function mergeHits(hits: SearchHit[], limit: number, threshold?: number): SearchHit[] {
  const best = new Map<string, SearchHit>();
  for (const hit of hits) {
    if (threshold !== undefined && hit.similarity < threshold) continue;
    const key = `${hit.system_id}\u001f${hit.id}`;
    const seen = best.get(key);
    if (!seen || hit.similarity > seen.similarity) best.set(key, hit);
  }
  return [...best.values()].sort((a, b) => b.similarity - a.similarity).slice(0, limit);
}
