import type { FastifyInstance } from 'fastify';
import type { Metrics } from '../../infra';
import type { CacheStats } from '../openapi/console-schemas';

type Layer = CacheStats['layers']['l1'];

/**
 * `GET /api/v1/cache` (operator): this process's query cache lookups since it started, by
 * layer, and the share answered by either layer (as `akosha_query_cache_hit_ratio`); null
 * before the first lookup. Every lookup reaches L1, every L1 miss L2.
 */
export function registerCacheRoute(app: FastifyInstance, deps: { metrics: Metrics }): void {
  app.get('/api/v1/cache', async () => {
    const layers: Record<'l1' | 'l2', Layer> = {
      l1: { hits: 0, misses: 0 },
      l2: { hits: 0, misses: 0 },
    };
    for (const { value, labels } of (await deps.metrics.queryCacheRequests.get()).values) {
      const layer = labels.layer === 'l1' || labels.layer === 'l2' ? layers[labels.layer] : null;
      if (layer && labels.outcome === 'hit') layer.hits += value;
      else if (layer) layer.misses += value;
    }
    const lookups = layers.l1.hits + layers.l1.misses;
    const hits = layers.l1.hits + layers.l2.hits;
    const body: CacheStats = {
      lookups,
      hits,
      hit_ratio: lookups === 0 ? null : hits / lookups,
      layers,
    };
    return body;
  });
}
