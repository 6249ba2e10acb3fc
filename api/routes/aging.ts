import type { FastifyInstance } from 'fastify';
import { z } from 'zod';
import { AgingEvent } from '../../schemas';
import { subjects } from '../../streams';
import type { QueryDeps } from './deps';
import { invalidRequest } from './replies';

export const AgingParams = z.object({ tier: AgingEvent.shape.tier });

/**
 * `POST /api/v1/aging/:tier` (admin): publishes the aging event the scheduler's
 * tier_transition job publishes, on akosha.aging.<tier>; every shard writer's aging
 * consumer moves its records of that tier past their age. 202: published, not done.
 */
export function registerAgingRoutes(app: FastifyInstance, deps: QueryDeps): void {
  app.post('/api/v1/aging/:tier', async (req, reply) => {
    const params = AgingParams.safeParse(req.params);
    if (!params.success) return invalidRequest(reply, params.error.issues);
    if (!deps.nc) return reply.code(503).send({ error: 'nats_unavailable', request_id: req.id });
    const { tier } = params.data;
    const event = AgingEvent.parse({
      schema_version: 1,
      tier,
      requested_at: new Date().toISOString(),
    });
    const subject = subjects.aging(tier);
    try {
      deps.nc.publish(subject, JSON.stringify(event));
      await deps.nc.flush();
    } catch (err) {
      req.log.error({ err, subject }, 'aging event not published');
      return reply.code(503).send({ error: 'nats_unavailable', request_id: req.id });
    }
    return reply.code(202).send({ published: true, subject, event });
  });
}
