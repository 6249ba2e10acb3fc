/**
 * The query API: Fastify HTTP routes and MCP tools (search across shards and tiers, memories,
 * graph, dead letters, operations), the answer cache, and the query endpoints writer processes
 * answer over NATS with the backend that asks them (remote/).
 * Exports what the pipeline wires: the HTTP server (or, without the API, the probe listener),
 * the search service and its local and remote backends, the query cache and its invalidation,
 * a writer's query endpoint, the HTTPS options and the readiness report it serves.
 */

export { watchIngestForCache } from './cache-invalidation';
export { buildHttpServer } from './http';
export { buildProbeServer } from './listener';
export { localQueryBackend } from './query-backend';
export type { QueryBackend } from './query-backend';
export { QueryCache } from './query-cache';
export type { Readiness } from './readiness';
export { QueryEndpoint } from './remote/query-endpoint';
export { RemoteQueryBackend } from './remote/remote-backend';
export { SearchService } from './search';
export type { SearchResponse } from './search';
export { httpsOptions } from './tls';
