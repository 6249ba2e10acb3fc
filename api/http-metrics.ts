import type { FastifyInstance } from 'fastify';
import type { Metrics } from '../infra';

/** The route label of a request no route matched (404s, scanners): one value for all of them. */
export const UNMATCHED_ROUTE = 'unmatched';

/**
 * Counts and times every answered request by the matched route's pattern
 * (`/api/v1/memories/:system_id/:id`), never the raw URL: the label stays bounded
 * whatever clients send.
 */
export function registerHttpMetrics(app: FastifyInstance, metrics: Metrics): void {
  app.addHook('onResponse', (request, reply, done) => {
    const route = request.is404 ? UNMATCHED_ROUTE : (request.routeOptions.url ?? UNMATCHED_ROUTE);
    const method = request.method;
    metrics.httpRequests.inc({ method, route, status: String(reply.statusCode) });
    metrics.httpDuration.observe({ method, route }, reply.elapsedTime / 1000);
    done();
  });
}
