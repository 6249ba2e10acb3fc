import { z } from 'zod';
import { RecordId, SystemId } from '../../schemas';
import { EntityIdArg, GRAPH_BOUNDS } from '../graph/args';
import { SearchRequest } from '../search';

/**
 * The requests of the query endpoints (api/remote/query-endpoint.ts) and the error codes of
 * their replies. Requests are JSON, checked by these schemas after a size check; replies are
 * JSON, or a micro-protocol error (`Nats-Service-Error-Code` header: an HTTP status) whose
 * body is `{error: <code>, message}`.
 */

/** The micro service's version: what these requests and replies are (semver). */
export const QUERY_PROTOCOL_VERSION = '1.0.0';

/** A request above this is refused unread (`too_large`). */
export const MAX_QUERY_REQUEST_BYTES = 256 * 1024;

/** Systems a scope may list; a principal's scope is far smaller. */
const MAX_SCOPE_SYSTEMS = 10_000;

export const ScopeArg = z.union([
  z.literal('*'),
  z.array(SystemId).max(MAX_SCOPE_SYSTEMS).readonly(),
]);

/** `search`: the query embedded by the caller (base64 float32), so it is embedded once. */
export const SearchCall = z.object({
  model: z.string().min(1).max(200),
  vector: z
    .string()
    .min(1)
    .max(64 * 1024),
  request: SearchRequest,
  scope: ScopeArg,
});
export type SearchCall = z.input<typeof SearchCall>;

export const MemoryCall = z.object({ system_id: SystemId, id: RecordId, scope: ScopeArg });
export type MemoryCall = z.input<typeof MemoryCall>;

export const CountsCall = z.object({ system_id: SystemId.optional(), scope: ScopeArg });
export type CountsCall = z.input<typeof CountsCall>;

export const StatusCall = z.object({});

const EdgeType = z.string().min(1).max(GRAPH_BOUNDS.maxEdgeTypeChars);
const Limit = z.number().int().min(1).max(GRAPH_BOUNDS.maxLimit);
const Hops = z.number().int().min(1).max(GRAPH_BOUNDS.maxHops);

/** The graph's queries (storage/graph/types.ts `GraphStore`), one endpoint each. */
export const GraphCalls = {
  entity: z.object({ entity_id: EntityIdArg, scope: ScopeArg }),
  neighbors: z.object({
    entity_id: EntityIdArg,
    edge_type: EdgeType.optional(),
    limit: Limit,
    scope: ScopeArg,
  }),
  path: z.object({
    source_id: EntityIdArg,
    target_id: EntityIdArg,
    max_hops: Hops,
    scope: ScopeArg,
  }),
  statistics: z.object({ scope: ScopeArg }),
  linked: z.object({
    records: z.array(z.object({ system_id: SystemId, id: RecordId })).max(1000),
  }),
} as const;
export type GraphEndpoint = keyof typeof GraphCalls;
export type GraphCall<E extends GraphEndpoint> = z.input<(typeof GraphCalls)[E]>;

/** Error codes of the replies, with the HTTP status each one carries. */
export const QueryErrorStatus = {
  invalid_request: 400,
  too_large: 413,
  /** the caller embedded the query with another model than this writer's vectors */
  model_mismatch: 409,
  cold_read_limit: 503,
  cold_read_timeout: 503,
  /** anything else: logged by the writer, never sent */
  internal: 500,
} as const;
export type QueryErrorCode = keyof typeof QueryErrorStatus;

/** A failure a query endpoint reports: a code and a message that names no internals. */
export class QueryEndpointError extends Error {
  constructor(
    readonly code: QueryErrorCode,
    message: string,
  ) {
    super(message);
    this.name = 'QueryEndpointError';
  }

  get status(): number {
    return QueryErrorStatus[this.code];
  }
}
