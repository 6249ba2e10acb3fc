import type { FastifyReply, FastifyRequest } from 'fastify';
import type { AccessRole } from '../../auth';
import { recordDenial, routeOf } from '../auth-denials';
import { auditedCall } from './audit';
import type { CallContext, McpDeps } from './deps';
import { RpcCode, RpcError } from './jsonrpc';
import { authorizeTool, findTool } from './tools';

/** The principal the auth guard set, with the request's id and address; none: refuse. */
export function callContext(request: FastifyRequest): CallContext | undefined {
  const { principal } = request;
  return principal ? { principal, requestId: request.id, source: request.ip } : undefined;
}

export const unauthorized = (reply: FastifyReply) =>
  reply.code(401).send({ error: 'unauthorized', request_id: reply.request.id });

/** A refused tools/call is audited like a refused route. */
export function auditIfForbidden(request: FastifyRequest, err: unknown, tool: unknown): void {
  if (!(err instanceof RpcError) || err.code !== RpcCode.FORBIDDEN) return;
  const { need, system } = (err.data ?? {}) as { need?: AccessRole; system?: string };
  recordDenial(request, {
    route: routeOf(request),
    status: 403,
    ...(need !== undefined && { need }),
    ...(system !== undefined && { system }),
    ...(typeof tool === 'string' && { tool }),
  });
}

/** Finds the tool, checks the principal may call it, and calls it. */
export async function callTool(name: unknown, args: unknown, deps: McpDeps, call: CallContext) {
  const tool = findTool(name);
  authorizeTool(call.principal, tool);
  return auditedCall(tool, args, deps, call);
}
