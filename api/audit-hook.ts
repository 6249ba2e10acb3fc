import type { FastifyInstance, FastifyReply, FastifyRequest } from 'fastify';
import { type AuditEvent, type AuditResult, type AuditSink, NO_AUDIT } from '../audit';
import { METRICS_ROUTES, ROUTE_PERMISSIONS } from '../auth';
import { routeKey } from './auth-denials';

declare module 'fastify' {
  interface FastifyRequest {
    /** action-specific facts a route adds to its audit event (hit count, filters, counts) */
    auditDetail: Record<string, unknown> | null;
    /** what a route acted on: systems, ids, stream sequences */
    auditTarget: Omit<NonNullable<AuditEvent['target']>, 'route'> | null;
  }
}

/** Audit action of each audited route; a route not named here gets `http.<method>.<path>`. */
export const ROUTE_ACTIONS: Readonly<Record<string, string>> = {
  'POST /api/v1/search': 'search',
  'POST /api/v1/embeddings': 'embedding.generate',
  'POST /api/v1/embeddings/batch': 'embedding.generate_batch',
  'GET /api/v1/status': 'status.read',
  'GET /api/v1/dlq': 'dlq.list',
  'GET /api/v1/dlq/:seq': 'dlq.show',
  'POST /api/v1/dlq/requeue': 'dlq.requeue',
  'POST /api/v1/dlq/purge': 'dlq.purge',
  'POST /api/v1/aging/:tier': 'aging.trigger',
  'GET /api/v1/tokens': 'token.list',
  'GET /api/v1/audit': 'audit.list',
};

export function actionOf(key: string): string {
  const known = ROUTE_ACTIONS[key];
  if (known) return known;
  const [method = '', path = ''] = key.split(' ');
  const tokens = path.split('/').filter((t) => t && !t.startsWith(':') && t !== '*');
  return ['http', method, ...tokens].join('.').toLowerCase();
}

/**
 * What the trail holds of HTTP: every request that writes (any method but GET) and every
 * operator or admin read. MCP routes are audited per tool call instead, and metrics
 * scrapes and probes are not actions.
 */
export function isAuditedRoute(key: string): boolean {
  const need = ROUTE_PERMISSIONS[key];
  if (need === undefined || need === 'public' || METRICS_ROUTES.includes(key)) return false;
  if (key.split(' ')[1]?.startsWith('/mcp')) return false;
  return !key.startsWith('GET ') || need === 'operator' || need === 'admin';
}

function resultOf(status: number): AuditResult {
  if (status === 429) return 'denied';
  return status < 400 ? 'ok' : 'error';
}

const small = (v: unknown) =>
  (typeof v === 'object' && v !== null ? v : {}) as Record<string, unknown>;
const seqs = (v: unknown) => (Array.isArray(v) ? v.filter(Number.isInteger).slice(0, 100) : []);

/** What the admin routes act on, read from their parameters and body (bounded). */
function implicitTarget(key: string, request: FastifyRequest) {
  const params = small(request.params);
  const body = small(request.body);
  const seq = Number(params.seq);
  if (key === 'GET /api/v1/dlq/:seq' && Number.isInteger(seq)) return { target: { sequence: seq } };
  if (key === 'POST /api/v1/dlq/requeue') return { target: { sequence: seqs(body.seqs) } };
  if (key === 'POST /api/v1/dlq/purge') {
    const { stage, code, system_id, since } = body;
    const system = typeof system_id === 'string' ? { system: system_id } : {};
    return { target: system, detail: { filter: { stage, code, since } } };
  }
  if (key === 'POST /api/v1/aging/:tier') return { detail: { tier: params.tier } };
  return {};
}

function eventOf(request: FastifyRequest, reply: FastifyReply, key: string) {
  const { principal, auditTarget, auditDetail } = request;
  const implicit = implicitTarget(key, request);
  return {
    principal: principal?.name ?? 'anonymous',
    role: principal?.role ?? null,
    action: actionOf(key),
    target: { ...implicit.target, ...auditTarget, route: key },
    result: resultOf(reply.statusCode),
    source: request.ip,
    request_id: request.id,
    detail: { status: reply.statusCode, ...implicit.detail, ...auditDetail },
  };
}

/**
 * Records each audited request once its reply is sent, with what the route added to
 * `request.auditTarget` / `auditDetail`. 401 and 403 are left to the auth guard, which
 * records them as `auth.denied`.
 */
export function registerAuditHook(app: FastifyInstance, sink: AuditSink): void {
  app.decorateRequest('auditDetail', null);
  app.decorateRequest('auditTarget', null);
  // nothing to record to: no hook, no event built per request
  if (sink === NO_AUDIT) return;
  const audited = new Map<string, boolean>(); // per route key: asked once, not per request
  app.addHook('onResponse', (request, reply, done) => {
    if (request.is404 || reply.statusCode === 401 || reply.statusCode === 403) return done();
    const key = routeKey(request.method, request.routeOptions.url ?? '');
    let yes = audited.get(key);
    if (yes === undefined) audited.set(key, (yes = isAuditedRoute(key)));
    if (yes) sink.record(eventOf(request, reply, key));
    done();
  });
}
