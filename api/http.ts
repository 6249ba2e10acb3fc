import type { JetStreamClient } from '@nats-io/jetstream';
import type { NatsConnection } from '@nats-io/transport-node';
import type { FastifyInstance } from 'fastify';
import { type Embedder, generateBatchEmbeddings, generateEmbedding } from '../embedding';
import type { HttpLimits } from '../infra';
import type { GraphQueries, HotStore, TierMover } from '../storage';
import { withLinkedEntities } from './graph/search-entities';
import { limitEmbedding } from './limits';
import { buildListener, type ListenerDeps } from './listener';
import { registerMcpRoutes } from './mcp';
import { registerQueryRoutes } from './routes';
import { registerSearchRoute } from './routes/search';
import { localQueryBackend, type QueryBackend, type Searcher } from './query-backend';
import { observedQueryBackend, observedSearcher } from './query-metrics';
import { SearchRequest } from './search';

export interface HttpDeps extends ListenerDeps {
  js: JetStreamClient;
  /** core NATS (the aging trigger route); absent: that route answers 503 */
  nc?: NatsConnection | undefined;
  /** the server's max_payload: pushed memories are split into upload parts below it */
  maxPayloadBytes: number;
  embedder: Embedder;
  /** absent in a process that owns no shards */
  store?: HotStore | undefined;
  /** warm and cold tiers of the same shards */
  mover?: TierMover | undefined;
  /** search over the tiers of `store` and `mover`; absent with no store */
  search?: Searcher | undefined;
  /** the knowledge graph: graph routes and tools, entities of search hits; absent: 503 */
  graph?: GraphQueries | undefined;
  /** what search, memories, systems, status and graph read from; absent: the four above */
  query?: QueryBackend | undefined;
  /** AKOSHA_AUTH_TOKENS_FILE, listed by `GET /api/v1/tokens` */
  tokensFile?: string | undefined;
  /** AKOSHA_AUDIT_QUERIES: search events carry the query text */
  auditQueries?: boolean | undefined;
}

/** The Python Akosha's `filters` of search_all_systems that this search understands. */
function mcpFilters(filters: Record<string, unknown> | undefined) {
  const { project, kind, since, until } = filters ?? {};
  return { project, kind, since, until };
}

/** The full API: the probes, embeddings, search, the query and operations routes, and MCP. */
export const buildHttpServer = (deps: HttpDeps): FastifyInstance =>
  buildListener(deps, (app, limits) => registerApiRoutes(app, deps, limits));

function registerApiRoutes(app: FastifyInstance, deps: HttpDeps, limits: HttpLimits): void {
  const embedder = limitEmbedding(deps.embedder, limits);
  app.post('/api/v1/embeddings', async (req) => generateEmbedding(embedder, req.body));
  app.post('/api/v1/embeddings/batch', async (req) => generateBatchEmbeddings(embedder, req.body));
  const backend = deps.query ?? localQueryBackend(deps);
  const query = observedQueryBackend(backend, deps.metrics);
  const mcpSearch = observedSearcher(backend.search, deps.metrics, 'mcp_search');
  registerSearchRoute(app, { ...deps, search: query.search, graph: query.graph });
  registerQueryRoutes(app, { ...deps, query });

  registerMcpRoutes(app, {
    js: deps.js,
    maxPayloadBytes: deps.maxPayloadBytes,
    embedder,
    bodyLimitBytes: limits.mcpBodyLimitBytes,
    jsonMaxDepth: limits.jsonMaxDepth,
    allowedOrigins: limits.mcpAllowedOrigins,
    readiness: deps.readiness,
    audit: deps.audit,
    auditQueries: deps.auditQueries,
    graph: query.graph,
    search: async (req, call) => {
      if (!mcpSearch) throw new Error('this process owns no hot shards');
      const request = SearchRequest.parse({ ...mcpFilters(req.filters), ...req });
      const found = await mcpSearch.search(request, call.principal.systems);
      return withLinkedEntities(found, query.graph, app.log);
    },
  });
}
