import type { AccessRole } from './principal';

/** What a route needs: a role, or nothing at all. */
export type Need = AccessRole | 'public';

/**
 * The permission matrix of the HTTP API, keyed `METHOD route` as Fastify registers it.
 * A route that is not listed here fails the server at start (api/auth-guard.ts).
 * `/ready`, `/metrics` and the OpenAPI document turn public with AKOSHA_METRICS_PUBLIC=true.
 */
export const ROUTE_PERMISSIONS: Readonly<Record<string, Need>> = {
  'GET /health': 'public',
  'GET /ready': 'operator',
  'GET /metrics': 'operator',
  'GET /api/v1/openapi.json': 'operator',
  'POST /api/v1/search': 'reader',
  'GET /api/v1/memories/*': 'reader',
  'GET /api/v1/systems': 'reader',
  'GET /api/v1/graph/entities/:entity_id': 'reader',
  'GET /api/v1/graph/entities/:entity_id/neighbors': 'reader',
  'GET /api/v1/graph/path': 'reader',
  'GET /api/v1/graph/statistics': 'reader',
  'POST /api/v1/embeddings': 'reader',
  'POST /api/v1/embeddings/batch': 'reader',
  'GET /api/v1/status': 'operator',
  'GET /api/v1/dlq': 'operator',
  'GET /api/v1/dlq/:seq': 'operator',
  'POST /api/v1/dlq/requeue': 'admin',
  'POST /api/v1/dlq/purge': 'admin',
  'POST /api/v1/aging/:tier': 'admin',
  'GET /api/v1/tokens': 'admin',
  'GET /api/v1/audit': 'admin',
  'GET /api/v1/whoami': 'reader',
  'GET /api/v1/tiers': 'reader',
  'GET /api/v1/cache': 'operator',
  // the operator console: a page and its files, no data (each call it makes needs its role)
  'GET /console': 'public',
  'GET /console/:asset': 'public',
  // MCP: the route needs reader; each tool then needs its own role (TOOL_PERMISSIONS)
  'POST /mcp': 'reader',
  'GET /mcp': 'reader',
  'DELETE /mcp': 'reader',
  'POST /mcp/mcp/v1': 'reader',
  'GET /mcp/status': 'reader',
  'POST /mcp/tools/call': 'reader',
};

/** Routes that AKOSHA_METRICS_PUBLIC=true opens to everyone. */
export const METRICS_ROUTES: readonly string[] = [
  'GET /ready',
  'GET /metrics',
  'GET /api/v1/openapi.json',
];

/** Every MCP tool, by the role it needs. A tool not listed here is refused. */
export const TOOL_PERMISSIONS: Readonly<Record<string, AccessRole>> = {
  search_all_systems: 'reader',
  generate_embedding: 'reader',
  generate_batch_embeddings: 'reader',
  get_liveness: 'reader',
  query_knowledge_graph: 'reader',
  find_path: 'reader',
  get_graph_statistics: 'reader',
  store_memory: 'writer',
  batch_store_memories: 'writer',
  store_reflection: 'writer',
  create_entity: 'writer',
  create_relation: 'writer',
  get_readiness: 'operator',
  get_storage_status: 'operator',
};
