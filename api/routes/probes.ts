import type { FastifyInstance } from 'fastify';
import type { Readiness } from '../readiness';
import type { Metrics } from '../../infra';

/** Liveness, readiness and the Prometheus scrape. */
export function registerProbeRoutes(
  app: FastifyInstance,
  deps: { metrics: Metrics; readiness: () => Readiness },
): void {
  app.get('/health', async () => ({ status: 'ok', uptime_s: Math.round(process.uptime()) }));

  app.get('/ready', async (_req, reply) => {
    const state = deps.readiness();
    return reply.code(state.ready ? 200 : 503).send(state);
  });

  app.get('/metrics', async (_req, reply) => {
    reply.header('content-type', deps.metrics.registry.contentType);
    return deps.metrics.registry.metrics();
  });
}
