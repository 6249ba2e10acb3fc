import type { FastifyInstance } from 'fastify';
import { streamsStatus, writerLeases } from '../../streams';
import type { QueryDeps } from './deps';

/**
 * `GET /api/v1/status`: streams and their durable consumers, the writer leases of every
 * process, the shard files open (this process's, or every writer's with `writers` listing
 * each), and its readiness. 503 when NATS does not answer.
 */
export function registerStatusRoute(app: FastifyInstance, deps: QueryDeps): void {
  app.get('/api/v1/status', async (_req, reply) => {
    try {
      const jsm = await deps.js.jetstreamManager(false);
      const [streams, leases, shards] = await Promise.all([
        streamsStatus(jsm),
        writerLeases(deps.js, jsm),
        deps.query.shards?.status() ?? { hot_shards: [], warm_shards: [] },
      ]);
      return { readiness: deps.readiness(), streams, writer: { ...shards, leases } };
    } catch (err) {
      return reply.code(503).send({ error: 'nats_unavailable', message: (err as Error).message });
    }
  });
}
