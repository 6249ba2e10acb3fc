import { z } from 'zod';
import { decodeVector } from '../../embedding/vector';
import { issuesFrom } from '../../infra/errors';
import { shardOf } from '../../schemas/ids';
import type { GraphQueries } from '../../storage/graph/types';
import type { HotStore } from '../../storage/hot-store';
import { findMemory } from '../../storage/lookup';
import type { TierMover } from '../../storage/tiers';
import { countsBySystem } from '../../storage/tiers/tier-counts';
import { inScope } from '../scope';
import type { FailedShard, VectorSearch } from '../search';
import {
  CountsCall,
  GraphCalls,
  MemoryCall,
  QueryEndpointError,
  SearchCall,
  StatusCall,
  type GraphEndpoint,
} from './protocol';
import type { CountsReply, SearchReply, StatusReply } from './replies';

/** What a writer's query endpoints answer from: its own tiers, and the graph if it holds it. */
export interface EndpointSources {
  /** lease owner and shard groups of this writer */
  owner: string;
  groups: number[];
  /** the shards of those groups: what this writer answers for */
  shards: ReadonlySet<number>;
  search: VectorSearch;
  embedder: { model: string; dim: number };
  store: HotStore;
  mover?: TierMover | undefined;
  graph?: GraphQueries | undefined;
  ready: () => boolean;
}

export type Handler = (body: unknown, src: EndpointSources) => Promise<unknown>;

/** The body checked by `schema`; every issue in the error. */
export function parseCall<T extends z.ZodType>(schema: T, body: unknown): z.output<T> {
  const parsed = schema.safeParse(body);
  if (parsed.success) return parsed.data;
  const issues = issuesFrom(parsed.error.issues).map((i) => `${i.path}: ${i.message}`);
  throw new QueryEndpointError('invalid_request', issues.slice(0, 10).join('; '));
}

function queryVector(call: z.output<typeof SearchCall>, src: EndpointSources): Float32Array {
  if (call.model !== src.embedder.model)
    throw new QueryEndpointError(
      'model_mismatch',
      `query embedded by ${call.model}; this writer holds vectors of ${src.embedder.model}`,
    );
  let vector: Float32Array;
  try {
    vector = decodeVector(call.vector, src.embedder.dim);
  } catch (err) {
    throw new QueryEndpointError('invalid_request', (err as Error).message);
  }
  if (!vector.every(Number.isFinite))
    throw new QueryEndpointError('invalid_request', 'vector holds a non-finite number');
  return vector;
}

const search: Handler = async (body, src): Promise<SearchReply> => {
  const call = parseCall(SearchCall, body);
  const found = await src.search.searchVector(queryVector(call, src), call.request, call.scope);
  const failed = found.failed.filter((f): f is FailedShard => 'tier' in f);
  return { results: found.results, failed };
};

/** The writer answers only for its own shards and the caller's scope: anything else is unknown. */
const memory: Handler = async (body, src) => {
  const call = parseCall(MemoryCall, body);
  const mine = src.shards.has(shardOf(call.system_id)) && inScope(call.scope, call.system_id);
  if (!mine) return { memory: null };
  return { memory: await findMemory(src.store, src.mover, call.system_id, call.id) };
};

/** Cold counts come from a bucket all writers share: each reports only its own systems. */
const counts: Handler = async (body, src): Promise<CountsReply> => {
  const call = parseCall(CountsCall, body);
  const all = await countsBySystem(src.store, src.mover, call.system_id);
  const systems = [...all]
    .filter(([id]) => src.shards.has(shardOf(id)) && inScope(call.scope, id))
    .map(([system_id, c]) => ({ system_id, ...c }));
  return { systems };
};

const status: Handler = async (body, src): Promise<StatusReply> => {
  parseCall(StatusCall, body);
  return {
    owner: src.owner,
    groups: src.groups,
    hot_shards: src.store.shards,
    warm_shards: src.mover?.warm.shards ?? [],
    ready: src.ready(),
  };
};

/** The query endpoints of every writer, by endpoint name. */
export const WRITER_HANDLERS: Record<string, Handler> = { search, memory, counts, status };

function graphOf(src: EndpointSources): GraphQueries {
  if (!src.graph) throw new Error('graph endpoint without a graph'); // never registered so
  return src.graph;
}

/** The graph's endpoints, registered only by the process that holds the graph. */
export const GRAPH_HANDLERS: Record<GraphEndpoint, Handler> = {
  entity: async (body, src) => {
    const c = parseCall(GraphCalls.entity, body);
    return { entity: await graphOf(src).entity(c.entity_id, c.scope) };
  },
  neighbors: async (body, src) => {
    const c = parseCall(GraphCalls.neighbors, body);
    const edge = c.edge_type !== undefined ? { edgeType: c.edge_type } : {};
    return graphOf(src).neighbors(c.entity_id, { ...edge, limit: c.limit, scope: c.scope });
  },
  path: async (body, src) => {
    const c = parseCall(GraphCalls.path, body);
    return graphOf(src).findPath(c.source_id, c.target_id, { maxHops: c.max_hops, scope: c.scope });
  },
  statistics: async (body, src) => {
    const c = parseCall(GraphCalls.statistics, body);
    return graphOf(src).statistics(c.scope);
  },
  linked: async (body, src) => {
    const c = parseCall(GraphCalls.linked, body);
    return { linked: [...(await graphOf(src).entitiesOfRecords(c.records))] };
  },
};
