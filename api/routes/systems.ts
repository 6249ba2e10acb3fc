import type { FastifyInstance } from 'fastify';
import { shardOf } from '../../schemas';
import type { TierCounts } from '../../storage';
import type { SystemsResponse } from '../openapi/responses';
import { inScope } from '../scope';
import type { QueryDeps } from './deps';
import { scopedSystemQuery } from './system-query';

/**
 * `GET /api/v1/systems[?system_id=]`: records per system and tier, by system_id; only the
 * systems of the caller's scope, and totals of those only.
 */
export function registerSystemRoutes(app: FastifyInstance, deps: QueryDeps): void {
  app.get('/api/v1/systems', async (req, reply) => {
    const query = scopedSystemQuery(req, reply, deps);
    if ('replied' in query) return query.replied;
    const { scope, system, shards } = query;
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
