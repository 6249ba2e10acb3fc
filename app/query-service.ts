import type { NatsConnection } from '@nats-io/transport-node';
import { watchIngestForCache } from '../api/cache-invalidation';
import { QueryCache } from '../api/query-cache';
import { SearchService, type SearchResponse } from '../api/search';
import type { Embedder } from '../embedding/embedder';
import type { AkoshaConfig } from '../infra/config';
import type { Logger } from '../infra/logger';
import type { Metrics } from '../infra/metrics';
import type { HotStore } from '../storage/hot-store';
import type { TierMover } from '../storage/tiers';

export interface QueryService {
  search: SearchService;
  stop: () => Promise<void>;
}

/** The search over this process's tiers, with its query cache kept fresh by ingest events. */
export function startQueryService(deps: {
  config: AkoshaConfig;
  nc: NatsConnection;
  store: HotStore;
  mover: TierMover | undefined;
  embedder: Embedder;
  metrics: Metrics;
  log: Logger;
}): QueryService {
  const { cache: c } = deps.config;
  const cache = c.enabled
    ? new QueryCache<SearchResponse>({
        enabled: true,
        redisUrl: c.redisUrl,
        redisPassword: c.redisPassword,
        redisTlsCa: c.redisTlsCa,
        l1Entries: c.l1Entries,
        l1MaxBytes: c.maxBytes,
        maxEntryBytes: c.maxEntryBytes,
        ttlSeconds: c.ttlSeconds,
        prefix: c.prefix,
        log: deps.log,
        metrics: deps.metrics,
      })
    : undefined;
  const stopWatching = cache ? watchIngestForCache(deps.nc, cache, deps.log) : undefined;
  const search = new SearchService(
    deps.store,
    deps.embedder,
    { partTimeoutMs: deps.config.http.searchPartTimeoutMs, cache },
    deps.mover,
  );
  return {
    search,
    stop: async () => {
      await stopWatching?.();
      await cache?.close();
    },
  };
}
