import type { FastifyReply, FastifyRequest } from 'fastify';
import { NO_AUDIT } from '../audit';
import type { AuthFailure, Need } from '../auth';

export interface Denial {
  /** `METHOD /route` as in the permission matrix */
  route: string;
  status: 401 | 403;
  /** 401: why the credential was refused */
  reason?: AuthFailure;
  /** 403: the role or the system that was missing */
  need?: Need;
  system?: string;
  /** MCP: the tool that was refused */
  tool?: string;
}

/** Every 401 and 403 goes to the audit trail, with who asked (or `anonymous`) and from where. */
export function recordDenial(request: FastifyRequest, denial: Denial): void {
  const { route, status, reason, need, system, tool } = denial;
  const principal = request.principal;
  const audit = (request.server.audit as typeof request.server.audit | undefined) ?? NO_AUDIT;
  audit.record({
    action: 'auth.denied',
    result: 'denied',
    principal: principal?.name ?? 'anonymous',
    role: principal?.role ?? null,
    source: request.ip,
    request_id: request.id,
    target: { route, ...(system !== undefined && { system }) },
    detail: {
      status,
      ...(reason !== undefined && { reason }),
      ...(need !== undefined && { need }),
      ...(tool !== undefined && { tool }),
    },
  });
}

/** 403 `{error: 'forbidden', need, system?, request_id}`, audited. */
export function replyForbidden(
  request: FastifyRequest,
  reply: FastifyReply,
  denial: { route: string; need: Need; system?: string | undefined },
): FastifyReply {
  const { route, need, system } = denial;
  recordDenial(request, { route, status: 403, need, ...(system !== undefined && { system }) });
  return reply.code(403).send({
    error: 'forbidden',
    need,
    ...(system !== undefined && { system }),
    request_id: request.id,
  });
}

/** `METHOD url` as the permission matrix spells it; HEAD is answered by the GET route. */
export function routeKey(method: string, url: string): string {
  return `${method === 'HEAD' ? 'GET' : method} ${url}`;
}

/** The matrix key of the route serving this request. */
export function routeOf(request: FastifyRequest): string {
  return routeKey(request.method, request.routeOptions.url ?? '(unknown route)');
}
