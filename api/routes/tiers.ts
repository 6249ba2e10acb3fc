import type { FastifyInstance } from 'fastify';
import { shardOf } from '../../schemas';
import type { TierSizes } from '../../storage';
import type { TiersResponse } from '../openapi/console-schemas';
import { inScope } from '../scope';
import type { QueryDeps } from './deps';
import { scopedSystemQuery } from './system-query';

const TIERS = ['hot', 'warm', 'cold'] as const;

/**
 * `GET /api/v1/tiers[?system_id=]` (reader): records and bytes per tier and per system, of
 * the systems in the caller's scope; the tiers' totals are those systems' sums, and the
 * bytes of the tiers' files on disk are shown only to a caller of every system.
 */
export function registerTiersRoute(app: FastifyInstance, deps: QueryDeps): void {
  app.get('/api/v1/tiers', async (req, reply) => {
    const query = scopedSystemQuery(req, reply, deps);
    if ('replied' in query) return query.replied;
    const { scope, system, shards } = query;
    const { sizes, diskBytes, failed } = await shards.sizes(system, scope);
    const visible = [...sizes].filter(([id]) => inScope(scope, id));
    const body: TiersResponse = {
      tiers: totals(visible.map(([, s]) => s)),
      systems: visible
        .sort(([a], [b]) => (a < b ? -1 : 1))
        .map(([system_id, s]) => ({ system_id, shard: shardOf(system_id), ...s })),
      ...(failed.length > 0 && { partial: true, failed }),
    };
    if (scope === '*' && system === undefined)
      for (const tier of TIERS) body.tiers[tier].disk_bytes = diskBytes[tier];
    return body;
  });
}

function totals(systems: TierSizes[]): TiersResponse['tiers'] {
  const sum = (tier: keyof TierSizes) => ({
    records: systems.reduce((n, s) => n + s[tier].records, 0),
    bytes: systems.reduce((n, s) => n + s[tier].bytes, 0),
  });
  return { hot: sum('hot'), warm: sum('warm'), cold: sum('cold') };
}
