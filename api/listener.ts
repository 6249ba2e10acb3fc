import Fastify, { type FastifyInstance } from 'fastify';
import { type AuditSink, NO_AUDIT } from '../audit';
import type { Authenticator } from '../auth';
import type { HttpLimits, HttpTlsConfig, Logger, Metrics } from '../infra';
import { registerAuditHook } from './audit-hook';
import { registerAuthGuard } from './auth-guard';
import { GRAPH_BOUNDS } from './graph/args';
import {
  fastifyLogOptions,
  registerNotFound,
  registerRequestLogging,
  sendError,
} from './http-logging';
import { registerHttpMetrics } from './http-metrics';
import { applyHttpLimits, httpLimits, replyToLimit, serverLimitOptions } from './limits';
import type { Readiness } from './readiness';
import { registerProbeRoutes } from './routes/probes';
import { httpsServerOption } from './tls';

/** What every listener of a process has: the probes' sources and the listener's settings. */
export interface ListenerDeps {
  metrics: Metrics;
  readiness: () => Readiness;
  /** certificate files of an https listener; absent: plain HTTP */
  tls?: HttpTlsConfig | undefined;
  /** who is calling; absent: loopback callers only, as admins (api/auth-guard.ts) */
  authenticator?: Authenticator | undefined;
  /** where denials and actions are recorded; absent: nowhere */
  audit?: AuditSink | undefined;
  /** the process logger (Fastify logs through a child of it); absent: silent */
  log?: Logger | undefined;
  /** AKOSHA_METRICS_PUBLIC: `/ready`, `/metrics` and the OpenAPI document need no role */
  metricsPublic?: boolean | undefined;
  /** body, depth, time, rate and embedding limits (api/limits); unset ones take defaults */
  limits?: Partial<HttpLimits> | undefined;
}

/**
 * The router refuses a longer path parameter (414). An entity id (zod bounds it to 1200
 * characters) percent-encoded may take up to 9 characters for each of its own.
 */
const MAX_PARAM_CHARS = GRAPH_BOUNDS.maxIdChars * 9;

/**
 * A Fastify server with what every listener shares: TLS, request ids and logging, limits,
 * the auth guard, HTTP metrics, 404s, audit, and the probes; `routes` adds the rest.
 */
export function buildListener(
  deps: ListenerDeps,
  routes: (app: FastifyInstance, limits: HttpLimits) => void,
): FastifyInstance {
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
  applyHttpLimits(app, limits);
  registerProbeRoutes(app, deps);
  routes(app, limits);
  app.setErrorHandler((err, req, reply) => {
    if (replyToLimit(err, req, reply)) return reply;
    return sendError(err, req, reply);
  });
  return app;
}

/**
 * The listener of a process without the API: /health, /ready and /metrics only, under the
 * same authentication and limits as the API.
 */
export const buildProbeServer = (deps: ListenerDeps): FastifyInstance =>
  buildListener(deps, () => undefined);
