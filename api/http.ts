import type { JetStreamClient } from '@nats-io/jetstream';
import type { NatsConnection } from '@nats-io/transport-node';
import Fastify, { type FastifyInstance } from 'fastify';
import { type Embedder, generateBatchEmbeddings, generateEmbedding } from '../embedding';
import type { HttpLimits, HttpTlsConfig, Logger, Metrics } from '../infra';
import type { Readiness } from './readiness';
import type { GraphQueries, HotStore, TierMover } from '../storage';
import { type AuditSink, NO_AUDIT } from '../audit';
import { registerAuditHook } from './audit-hook';
import { GRAPH_BOUNDS } from './graph/args';
import { withLinkedEntities } from './graph/search-entities';
import {
  fastifyLogOptions,
  registerNotFound,
  registerRequestLogging,
  sendError,
} from './http-logging';
import type { Authenticator } from '../auth';
import { registerAuthGuard } from './auth-guard';
import { applyHttpLimits, httpLimits, replyToLimit, serverLimitOptions } from './limits';
import { registerHttpMetrics } from './http-metrics';
import { registerMcpRoutes } from './mcp';
import { registerQueryRoutes } from './routes';
import { registerProbeRoutes } from './routes/probes';
import { registerSearchRoute } from './routes/search';
import { localQueryBackend, type QueryBackend, type Searcher } from './query-backend';
import { observedQueryBackend, observedSearcher } from './query-metrics';
import { SearchRequest } from './search';
import { httpsServerOption } from './tls';

export interface HttpDeps {
  js: JetStreamClient;
  /** core NATS (the aging trigger route); absent: that route answers 503 */
  nc?: NatsConnection | undefined;
  /** the server's max_payload: pushed memories are split into upload parts below it */
  maxPayloadBytes: number;
  metrics: Metrics;
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
  readiness: () => Readiness;
  /** certificate files of an https listener; absent: plain HTTP */
  tls?: HttpTlsConfig | undefined;
  /** who is calling; absent: loopback callers only, as admins (api/auth-guard.ts) */
  authenticator?: Authenticator | undefined;
  /** AKOSHA_AUTH_TOKENS_FILE, listed by `GET /api/v1/tokens` */
  tokensFile?: string | undefined;
  /** where denials and actions are recorded; absent: nowhere */
  audit?: AuditSink | undefined;
  /** AKOSHA_AUDIT_QUERIES: search events carry the query text */
  auditQueries?: boolean | undefined;
  /** the process logger (Fastify logs through a child of it); absent: silent */
  log?: Logger | undefined;
  /** AKOSHA_METRICS_PUBLIC: `/ready`, `/metrics` and the OpenAPI document need no role */
  metricsPublic?: boolean | undefined;
  /** body, depth, time, rate and embedding limits (api/limits); unset ones take defaults */
  limits?: Partial<HttpLimits> | undefined;
}

/** The Python Akosha's `filters` of search_all_systems that this search understands. */
function mcpFilters(filters: Record<string, unknown> | undefined) {
  const { project, kind, since, until } = filters ?? {};
  return { project, kind, since, until };
}

/**
 * The router refuses a longer path parameter (414). An entity id (zod bounds it to 1200
 * characters) percent-encoded may take up to 9 characters for each of its own.
 */
const MAX_PARAM_CHARS = GRAPH_BOUNDS.maxIdChars * 9;

export function buildHttpServer(deps: HttpDeps): FastifyInstance {
  const limits = httpLimits(deps.limits);
  const app = Fastify({
    ...fastifyLogOptions(deps.log),
    ...serverLimitOptions(limits),
    ...httpsServerOption(deps.tls),
    routerOptions: { maxParamLength: MAX_PARAM_CHARS },
  });
  registerAuthGuard(app, {
    authenticator: deps.authenticator,
    audit: deps.audit,
    metricsPublic: deps.metricsPublic,
  });
  registerRequestLogging(app);
  registerHttpMetrics(app, deps.metrics);
  registerNotFound(app);
  registerAuditHook(app, deps.audit ?? NO_AUDIT);
  // after the guard's hooks: the rate limit keys on the principal the guard sets
  const embedder = applyHttpLimits(app, limits, deps.embedder);

  registerProbeRoutes(app, deps);
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

  app.setErrorHandler((err, req, reply) => {
    if (replyToLimit(err, req, reply)) return reply;
    return sendError(err, req, reply);
  });

  return app;
}
