import { z } from 'zod';
import { decodeVector } from '../../embedding';
import { issuesFrom } from '../../infra';
import { shardOf } from '../../schemas';
import {
  countsBySystem,
  findMemory,
  sizesBySystem,
  type GraphQueries,
  type HotStore,
  type TierMover,
} from '../../storage';
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
import type { CountsReply, SearchReply, SizesReply, StatusReply } from './replies';

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

/**
 * One endpoint: `parse` checks and decodes the request (input from the network: strict),
 * `run` answers it. Kept apart so that the endpoint can time them apart.
 */
export interface Handler {
  parse(body: unknown, src: EndpointSources): unknown;
  run(call: unknown, src: EndpointSources): Promise<unknown>;
}

/** A handler whose `run` receives what its `parse` returned. */
function handler<C>(
  parse: (body: unknown, src: EndpointSources) => C,
  run: (call: C, src: EndpointSources) => Promise<unknown>,
): Handler {
  return { parse, run: run as Handler['run'] };
}

/** The handler of an endpoint whose request is checked by `schema` alone. */
const checked = <T extends z.ZodType>(
  schema: T,
  run: (call: z.output<T>, src: EndpointSources) => Promise<unknown>,
): Handler => handler((body) => parseCall(schema, body), run);

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
  for (const x of vector)
    if (!Number.isFinite(x))
      throw new QueryEndpointError('invalid_request', 'vector holds a non-finite number');
  return vector;
}

interface ParsedSearch {
  vector: Float32Array;
  request: z.output<typeof SearchCall>['request'];
  scope: z.output<typeof SearchCall>['scope'];
}

const search = handler(
  (body, src): ParsedSearch => {
    const call = parseCall(SearchCall, body);
    return { vector: queryVector(call, src), request: call.request, scope: call.scope };
  },
  async (call, src): Promise<SearchReply> => {
    const found = await src.search.searchVector(call.vector, call.request, call.scope);
    const failed = found.failed.filter((f): f is FailedShard => 'tier' in f);
    return { results: found.results, failed };
  },
);

/** The writer answers only for its own shards and the caller's scope: anything else is unknown. */
const memory = checked(MemoryCall, async (call, src) => {
  const mine = src.shards.has(shardOf(call.system_id)) && inScope(call.scope, call.system_id);
  if (!mine) return { memory: null };
  return { memory: await findMemory(src.store, src.mover, call.system_id, call.id) };
});

/** Cold counts come from a bucket all writers share: each reports only its own systems. */
const counts = checked(CountsCall, async (call, src): Promise<CountsReply> => {
  const all = await countsBySystem(src.store, src.mover, call.system_id);
  const systems = [...all]
    .filter(([id]) => src.shards.has(shardOf(id)) && inScope(call.scope, id))
    .map(([system_id, c]) => ({ system_id, ...c }));
  return { systems };
});

/** As counts, with bytes; disk bytes of cold are those of this writer's own systems. */
const sizes = checked(CountsCall, async (call, src): Promise<SizesReply> => {
  const report = await sizesBySystem(src.store, src.mover, call.system_id);
  const mine = [...report.systems].filter(([id]) => src.shards.has(shardOf(id)));
  const systems = mine
    .filter(([id]) => inScope(call.scope, id))
    .map(([system_id, s]) => ({ system_id, ...s }));
  const cold = mine.reduce((sum, [, s]) => sum + s.cold.bytes, 0);
  return { systems, disk_bytes: { ...report.diskBytes, cold } };
});

const status = checked(StatusCall, async (_call, src): Promise<StatusReply> => ({
  owner: src.owner,
  groups: src.groups,
  hot_shards: src.store.shards,
  warm_shards: src.mover?.warm.shards ?? [],
  ready: src.ready(),
}));

/** The query endpoints of every writer, by endpoint name. */
export const WRITER_HANDLERS: Record<string, Handler> = { search, memory, counts, sizes, status };

function graphOf(src: EndpointSources): GraphQueries {
  if (!src.graph) throw new Error('graph endpoint without a graph'); // never registered so
  return src.graph;
}

/** The graph's endpoints, registered only by the process that holds the graph. */
export const GRAPH_HANDLERS: Record<GraphEndpoint, Handler> = {
  entity: checked(GraphCalls.entity, async (c, src) => ({
    entity: await graphOf(src).entity(c.entity_id, c.scope),
  })),
  neighbors: checked(GraphCalls.neighbors, async (c, src) => {
    const edge = c.edge_type !== undefined ? { edgeType: c.edge_type } : {};
    return graphOf(src).neighbors(c.entity_id, { ...edge, limit: c.limit, scope: c.scope });
  }),
  path: checked(GraphCalls.path, async (c, src) =>
    graphOf(src).findPath(c.source_id, c.target_id, { maxHops: c.max_hops, scope: c.scope }),
  ),
  statistics: checked(GraphCalls.statistics, async (c, src) => graphOf(src).statistics(c.scope)),
  linked: checked(GraphCalls.linked, async (c, src) => ({
    linked: [...(await graphOf(src).entitiesOfRecords(c.records))],
  })),
};
