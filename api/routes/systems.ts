import type { FastifyInstance } from 'fastify';
import { z } from 'zod';
import { shardOf, SystemId } from '../../schemas';
import type { TierCounts } from '../../storage';
import type { SystemsResponse } from '../openapi/responses';
import { replyForbidden, routeOf } from '../auth-denials';
import { inScope, scopeOf } from '../scope';
import type { QueryDeps } from './deps';
import { invalidRequest, noShards } from './replies';

const SystemsQuery = z.object({ system_id: SystemId.optional() });

/**
 * `GET /api/v1/systems[?system_id=]`: records per system and tier, by system_id; only the
 * systems of the caller's scope, and totals of those only.
 */
export function registerSystemRoutes(app: FastifyInstance, deps: QueryDeps): void {
  app.get('/api/v1/systems', async (req, reply) => {
    const parsed = SystemsQuery.safeParse(req.query ?? {});
    if (!parsed.success) return invalidRequest(reply, parsed.error.issues);
    const scope = scopeOf(req);
    const system = parsed.data.system_id;
    if (system !== undefined && !inScope(scope, system))
      return replyForbidden(req, reply, { route: routeOf(req), need: 'reader', system });
    const shards = deps.query.shards;
    if (!shards) return noShards(reply);
    const { counts, failed } = await shards.counts(system, scope);
    const totals: TierCounts = { hot: 0, warm: 0, cold: 0 };
    const visible = [...counts.keys()].filter((id) => inScope(scope, id));
    const systems = visible.sort().map((system_id) => {
      const c = counts.get(system_id)!;
      totals.hot += c.hot;
      totals.warm += c.warm;
      totals.cold += c.cold;
      return { system_id, shard: shardOf(system_id), ...c, total: c.hot + c.warm + c.cold };
    });
    // writers that did not answer: their systems are missing, as in a partial search
    const body: SystemsResponse = {
      systems,
      totals,
      ...(failed.length > 0 && { partial: true, failed }),
    };
    return body;
  });
}
