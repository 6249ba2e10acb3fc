import type { FastifyInstance } from 'fastify';
import { writerLeases } from '../../app/lease-status';
import { streamsStatus } from '../../streams/status';
import type { QueryDeps } from './deps';

/**
 * `GET /api/v1/status`: streams and their durable consumers, the writer leases of every
 * process, the shard files this one has open, and its readiness. 503 when NATS does not answer.
 */
export function registerStatusRoute(app: FastifyInstance, deps: QueryDeps): void {
  app.get('/api/v1/status', async (_req, reply) => {
    try {
      const jsm = await deps.js.jetstreamManager(false);
      const [streams, leases] = await Promise.all([streamsStatus(jsm), writerLeases(deps.js, jsm)]);
      return {
        readiness: deps.readiness(),
        streams,
        writer: {
          hot_shards: deps.store?.shards ?? [],
          warm_shards: deps.mover?.warm.shards ?? [],
          leases,
        },
      };
    } catch (err) {
      return reply.code(503).send({ error: 'nats_unavailable', message: (err as Error).message });
    }
  });
}
