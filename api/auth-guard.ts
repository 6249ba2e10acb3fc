import type { FastifyInstance, FastifyReply, FastifyRequest, RouteOptions } from 'fastify';
import { type AuditSink, NO_AUDIT } from '../audit';
import {
  type Authenticator,
  type AuthFailure,
  hasRole,
  LOOPBACK_PRINCIPAL,
  METRICS_ROUTES,
  type Need,
  type Principal,
  ROUTE_PERMISSIONS,
} from '../auth';
import { isLoopbackAddress } from '../infra';
import { recordDenial, replyForbidden, routeKey } from './auth-denials';
import { peerCertCN } from './tls';

declare module 'fastify' {
  interface FastifyRequest {
    /** who is calling; set by the auth guard on every route that is not public */
    principal: Principal | null;
  }
  interface FastifyInstance {
    /** where denials (and the routes' own actions) are recorded */
    audit: AuditSink;
  }
}

export interface AuthGuardOptions {
  /** absent: only loopback callers get in, as admins (the no-configuration default) */
  authenticator?: Authenticator | undefined;
  audit?: AuditSink | undefined;
  /** `/ready`, `/metrics` and the OpenAPI document open to everyone */
  metricsPublic?: boolean | undefined;
}

/** Thrown at registration: a route with no entry in the permission matrix would be open. */
export class UnlistedRouteError extends Error {
  override name = 'UnlistedRouteError';
}

/** Nothing configured: a loopback caller is an admin of every system, anyone else is nobody. */
export const LOOPBACK_ONLY: Authenticator = {
  enforcing: false,
  authenticate: async ({ remoteAddress }) =>
    isLoopbackAddress(remoteAddress)
      ? { ok: true, principal: LOOPBACK_PRINCIPAL }
      : { ok: false, reason: 'missing' },
  close: () => undefined,
};

function needOf(key: string | undefined, metricsPublic: boolean): Need {
  // an unknown route still needs a principal, so routes cannot be probed anonymously
  if (key === undefined) return 'reader';
  if (metricsPublic && METRICS_ROUTES.includes(key)) return 'public';
  return ROUTE_PERMISSIONS[key] ?? 'admin';
}

function checkListed(route: RouteOptions): void {
  const methods = Array.isArray(route.method) ? route.method : [route.method];
  for (const method of methods) {
    const key = routeKey(method, route.url);
    if (!(key in ROUTE_PERMISSIONS)) {
      throw new UnlistedRouteError(
        `route ${key} has no entry in ROUTE_PERMISSIONS (auth/permissions.ts)`,
      );
    }
  }
}

function replyUnauthorized(
  request: FastifyRequest,
  reply: FastifyReply,
  route: string,
  reason: AuthFailure,
): FastifyReply {
  recordDenial(request, { route, status: 401, reason });
  const challenge = reason === 'missing' ? 'Bearer' : 'Bearer error="invalid_token"';
  return reply
    .code(401)
    .header('www-authenticate', challenge)
    .send({ error: 'unauthorized', request_id: request.id });
}

/**
 * Authentication and role checks of every request, before any route runs. Register it
 * before the routes: a route registered later that is missing from the permission matrix
 * fails the server at start. Sets `request.principal`; answers 401 (no or a bad
 * credential, with `WWW-Authenticate: Bearer`) and 403 (a role below the route's need).
 */
export function registerAuthGuard(app: FastifyInstance, options: AuthGuardOptions = {}): void {
  const authenticator = options.authenticator ?? LOOPBACK_ONLY;
  const metricsPublic = options.metricsPublic ?? false;
  app.decorate('audit', options.audit ?? NO_AUDIT);
  app.decorateRequest('principal', null);
  app.addHook('onRoute', checkListed);
  app.addHook('onRequest', async (request, reply) => {
    const url = request.is404 ? undefined : request.routeOptions.url;
    const key = url === undefined ? undefined : routeKey(request.method, url);
    const need = needOf(key, metricsPublic);
    if (need === 'public') return;
    const route = key ?? `${request.method} (unknown route)`;
    const outcome = await authenticator.authenticate({
      authorization: request.headers.authorization,
      remoteAddress: request.ip,
      peerCertCN: peerCertCN(request),
    });
    if (!outcome.ok) return replyUnauthorized(request, reply, route, outcome.reason);
    request.principal = outcome.principal;
    if (!hasRole(outcome.principal, need)) return replyForbidden(request, reply, { route, need });
  });
}
