import type { NatsConnection } from '@nats-io/transport-node';
import {
  localQueryBackend,
  type QueryBackend,
  QueryCache,
  RemoteQueryBackend,
  type SearchResponse,
  SearchService,
  watchIngestForCache,
} from '../api';
import type { Embedder } from '../embedding';
import type { AkoshaConfig, Logger, Metrics } from '../infra';
import { type GraphQueries, type HotStore, QdrantHotSearch, type TierMover } from '../storage';

/** The query backend the routes read from, and how to stop what keeps it. */
export interface QuerySide {
  backend: QueryBackend;
  stop: () => Promise<void>;
}

export interface QueryService {
  search: SearchService;
  stop: () => Promise<void>;
}

/** The search over this process's tiers, with its query cache kept fresh by ingest events. */
export function startQueryService(deps: QueryServiceDeps & { store: HotStore }): QueryService {
  const cache = queryCache(deps);
  const stopWatching = cache ? watchIngestForCache(deps.nc, cache, deps.log) : undefined;
  const hot = sharedHotSearch(deps.config);
  const options = { partTimeoutMs: deps.config.http.searchPartTimeoutMs, cache, hot };
  return {
    search: new SearchService(deps.store, deps.embedder, options, deps.mover),
    stop: async () => {
      await stopWatching?.();
      await cache?.close();
      await hot?.close();
    },
  };
}

/** The hot tier's search in the shared Qdrant collection, when the vectors live there. */
function sharedHotSearch(config: AkoshaConfig): QdrantHotSearch | undefined {
  const vectors = config.writer.vectorStore;
  return vectors.kind === 'qdrant' ? QdrantHotSearch.create(vectors.qdrant) : undefined;
}

export interface QueryServiceDeps {
  config: AkoshaConfig;
  nc: NatsConnection;
  /** this process's tiers, when it runs a writer */
  store?: HotStore | undefined;
  mover?: TierMover | undefined;
  /** this process's graph, when it runs the graph writer */
  graph?: GraphQueries | undefined;
  embedder: Embedder;
  metrics: Metrics;
  log: Logger;
}

/** Whether this process holds every shard group: then it answers queries itself. */
export const holdsEveryGroup = (config: AkoshaConfig, store: HotStore | undefined): boolean =>
  store !== undefined && config.writer.groups.length === config.streams.shardGroups;

function queryCache(deps: QueryServiceDeps): QueryCache<SearchResponse> | undefined {
  const { cache: c } = deps.config;
  if (!c.enabled) return undefined;
  return new QueryCache<SearchResponse>({
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
  });
}

/**
 * The query side with its query cache kept fresh by ingest events: over this process's own
 * tiers when it holds every shard group (no NATS hop), else over the writers' query
 * endpoints (api/remote).
 */
export async function startQueryBackend(deps: QueryServiceDeps): Promise<QuerySide> {
  const { config, store, mover } = deps;
  if (holdsEveryGroup(config, store)) {
    const local = startQueryService({ ...deps, store: store! });
    const backend = localQueryBackend({ store, mover, search: local.search, graph: deps.graph });
    return { backend, stop: local.stop };
  }
  const cache = queryCache(deps);
  const stopWatching = cache ? watchIngestForCache(deps.nc, cache, deps.log) : undefined;
  // with a shared Qdrant, hot is searched here and the writers answer for warm and cold
  const hot = sharedHotSearch(config);
  const partTimeoutMs = config.http.searchPartTimeoutMs;
  const hotSearch = hot && new SearchService(undefined, deps.embedder, { partTimeoutMs, hot });
  const stopCache = async () => {
    await stopWatching?.();
    await cache?.close();
    await hot?.close();
  };
  const remote = await RemoteQueryBackend.open({
    nc: deps.nc,
    embedder: deps.embedder,
    cache,
    timeoutMs: config.http.scatterTimeoutMs,
    groupCount: config.streams.shardGroups,
    leaseTtlMs: config.writer.lease.ttlMs,
    graph: deps.graph,
    hot: hotSearch,
    log: deps.log,
  }).catch(async (err: unknown) => {
    await stopCache();
    throw err;
  });
  deps.log.info({ timeoutMs: config.http.scatterTimeoutMs }, 'queries go to the writers over NATS');
  const stop = async () => {
    remote.close();
    await stopCache();
  };
  return { backend: remote, stop };
}
