import type { FastifyReply, FastifyRequest } from 'fastify';
import { z } from 'zod';
import { SystemId } from '../../schemas';
import type { ShardQueries } from '../query-backend';
import { replyForbidden, routeOf } from '../auth-denials';
import { inScope, scopeOf, type SystemScope } from '../scope';
import type { QueryDeps } from './deps';
import { invalidRequest, noShards } from './replies';

// strict: a misspelt parameter is refused rather than ignored (an answer of every system)
const SystemQuery = z.object({ system_id: SystemId.optional() }).strict();

export interface ScopedSystemQuery {
  scope: SystemScope;
  /** the `system_id` asked for, inside the scope */
  system: string | undefined;
  shards: ShardQueries;
}

/**
 * The `?system_id=` of a per-system read (reader), checked against the caller's scope, with
 * the shards to ask; or the reply already sent: 400, 403 for a system outside the scope, or
 * 503 where this process has no shards to ask.
 */
export function scopedSystemQuery(
  req: FastifyRequest,
  reply: FastifyReply,
  deps: QueryDeps,
): ScopedSystemQuery | { replied: FastifyReply } {
  const parsed = SystemQuery.safeParse(req.query ?? {});
  if (!parsed.success) return { replied: invalidRequest(reply, parsed.error.issues) };
  const scope = scopeOf(req);
  const system = parsed.data.system_id;
  if (system !== undefined && !inScope(scope, system)) {
    const replied = replyForbidden(req, reply, { route: routeOf(req), need: 'reader', system });
    return { replied };
  }
  const shards = deps.query.shards;
  if (!shards) return { replied: noShards(reply) };
  return { scope, system, shards };
}
