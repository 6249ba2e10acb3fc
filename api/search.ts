import { z } from 'zod';
import { SystemId } from '../schemas/ids';
import type { Embedder } from '../embedding/embedder';
import type { HotHit, HotStore } from '../storage/hot-store';
import { shardOf } from '../schemas/ids';

export const SearchRequest = z.object({
  query: z.string().min(1).max(10_000),
  limit: z.number().int().min(1).max(1000).default(10),
  threshold: z.number().min(-1).max(1).optional(),
  system_id: SystemId.optional(),
});
export type SearchRequest = z.infer<typeof SearchRequest>;

export interface SearchResponse {
  query: string;
  results: HotHit[];
  total: number;
  embedder: Embedder['info'];
  took_ms: number;
}

/** Hot-tier search: embed the query, scan the shards concerned, best first. */
export async function searchHot(
  store: HotStore,
  embedder: Embedder,
  req: SearchRequest,
): Promise<SearchResponse> {
  const started = performance.now();
  const [vector] = await embedder.embed([req.query]);
  const shards = req.system_id ? [shardOf(req.system_id)] : undefined;
  const hits = await store.search(vector!, { limit: req.limit, systemId: req.system_id, shards });
  const results =
    req.threshold === undefined ? hits : hits.filter((h) => h.similarity >= req.threshold!);
  return {
    query: req.query,
    results,
    total: results.length,
    embedder: embedder.info,
    took_ms: performance.now() - started,
  };
}
