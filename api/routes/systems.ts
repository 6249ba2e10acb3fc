import type { FastifyInstance } from 'fastify';
import { z } from 'zod';
import { shardOf, SystemId } from '../../schemas/ids';
import { countsBySystem, type TierCounts } from '../../storage/tiers/tier-counts';
import type { SystemsResponse } from '../openapi/responses';
import type { QueryDeps } from './deps';
import { invalidRequest, noShards } from './replies';

const SystemsQuery = z.object({ system_id: SystemId.optional() });

/** `GET /api/v1/systems[?system_id=]`: records per system and tier, by system_id. */
export function registerSystemRoutes(app: FastifyInstance, deps: QueryDeps): void {
  app.get('/api/v1/systems', async (req, reply) => {
    const parsed = SystemsQuery.safeParse(req.query ?? {});
    if (!parsed.success) return invalidRequest(reply, parsed.error.issues);
    if (!deps.store) return noShards(reply);
    const counts = await countsBySystem(deps.store, deps.mover, parsed.data.system_id);
    const totals: TierCounts = { hot: 0, warm: 0, cold: 0 };
    const systems = [...counts.keys()].sort().map((system_id) => {
      const c = counts.get(system_id)!;
      totals.hot += c.hot;
      totals.warm += c.warm;
      totals.cold += c.cold;
      return { system_id, shard: shardOf(system_id), ...c, total: c.hot + c.warm + c.cold };
    });
    const body: SystemsResponse = { systems, totals };
    return body;
  });
}
