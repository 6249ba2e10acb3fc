import { QueryEndpoint, type Readiness, SearchService } from '../api';
import { type GraphQueries, NO_HOT_SEARCH } from '../storage';
import { shardsOfGroup } from '../streams';
import type { StageContext } from './stages';
import type { WriterState } from './writer-state';

/**
 * The query endpoints of a writer process (api/remote/query-endpoint.ts): its tiers, and
 * the graph when it holds it, for API processes that do not hold every shard group.
 * Started before the consumer stages and stopped after them, while the stores are open.
 */
export function queryEndpointStage(
  ctx: StageContext,
  writer: WriterState,
  graph: GraphQueries | undefined,
  readiness: () => Readiness,
): QueryEndpoint {
  const { config, embedder } = ctx;
  const { nc, log } = ctx.common;
  const { store, mover, lease } = writer;
  // with a shared Qdrant, API processes search hot there themselves: leave it out here
  const hot = config.writer.vectorStore.kind === 'qdrant' ? NO_HOT_SEARCH : undefined;
  const options = { partTimeoutMs: config.http.searchPartTimeoutMs, hot };
  const groups = config.writer.groups;
  const shards = new Set(groups.flatMap((g) => shardsOfGroup(g, config.streams.shardGroups)));
  return new QueryEndpoint({
    nc,
    maxReplyBytes: nc.info?.max_payload ?? 1024 * 1024,
    log,
    sources: {
      owner: lease.owner,
      groups,
      shards,
      search: new SearchService(store, embedder, options, mover),
      embedder: { model: embedder.info.model, dim: embedder.info.dim },
      store,
      mover,
      graph,
      ready: () => readiness().ready,
    },
  });
}
