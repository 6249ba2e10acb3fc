import rateLimit from '@fastify/rate-limit';
import type { FastifyInstance, FastifyReply, FastifyRequest } from 'fastify';
import type { Principal } from '../../auth';
import { LimitError } from './errors';

/** Routes no rate limit applies to: liveness probes must always answer. */
const EXEMPT_ROUTES = new Set(['/health']);

/**
 * The rate-limit key: the authenticated principal (set by the authorization guard in
 * onRequest), else the client address. Callers of an anonymous network all have the
 * principal `anonymous`: each is counted by its address, so one cannot use up the others' rate.
 */
export function rateLimitKey(req: FastifyRequest): string {
  const principal = (req as FastifyRequest & { principal?: Principal | null }).principal;
  if (!principal || principal.via === 'anonymous') return `address:${req.ip}`;
  return `principal:${principal.name}`;
}

type Limiter = (req: FastifyRequest, reply: FastifyReply) => Promise<void>;

/**
 * Requests per minute per principal (`@fastify/rate-limit`, in memory per process): beyond
 * the limit, 429 `rate_limited` with Retry-After. It runs as a root preHandler hook, so after
 * authentication (the key is who is calling) and on every route wherever it is registered —
 * the plugin's own per-route hooks reach only routes declared after it has loaded.
 */
export function registerRateLimit(app: FastifyInstance, opts: { perMinute: number }): void {
  void app.register(rateLimit, { global: false });
  let limiter: Limiter | undefined;
  app.addHook('preHandler', async (req, reply) => {
    if (EXEMPT_ROUTES.has(req.routeOptions.url ?? '')) return;
    limiter ??= app.rateLimit({
      max: opts.perMinute,
      timeWindow: 60_000,
      keyGenerator: rateLimitKey,
      errorResponseBuilder: (_req, ctx) =>
        new LimitError(
          429,
          'rate_limited',
          `more than ${ctx.max} requests a minute: retry in ${ctx.after}`,
          { limit_per_minute: ctx.max },
        ),
    }) as Limiter;
    await limiter(req, reply);
  });
}
