import type { FastifyInstance } from 'fastify';
import { z } from 'zod';
import { RecordId, SystemId } from '../../schemas';
import { replyForbidden, routeOf } from '../auth-denials';
import { inScope, scopeOf } from '../scope';
import type { QueryDeps } from './deps';
import { invalidRequest, noShards, notFound } from './replies';

const MemoryParams = z.object({ system_id: SystemId, id: RecordId });

/**
 * `GET /api/v1/memories/:system_id/:id`, registered as a wildcard: the router refuses a
 * parameter over 100 characters (414) while record ids may have 128, and every bad id
 * should get the same 400 with its issues.
 */
export const MEMORY_ROUTE = '/api/v1/memories/*';

export function registerMemoryRoutes(app: FastifyInstance, deps: QueryDeps): void {
  app.get(MEMORY_ROUTE, async (req, reply) => {
    const rest = (req.params as { '*': string })['*'];
    const slash = rest.indexOf('/');
    const parsed = MemoryParams.safeParse(
      slash < 0
        ? { system_id: rest }
        : { system_id: rest.slice(0, slash), id: rest.slice(slash + 1) },
    );
    if (!parsed.success) return invalidRequest(reply, parsed.error.issues);
    const system = parsed.data.system_id;
    const scope = scopeOf(req);
    if (!inScope(scope, system))
      return replyForbidden(req, reply, { route: routeOf(req), need: 'reader', system });
    const shards = deps.query.shards;
    if (!shards) return noShards(reply);
    const memory = await shards.memory(system, parsed.data.id, scope);
    return memory ?? notFound(reply);
  });
}
