import type { FastifyInstance } from 'fastify';
import type { WhoAmI } from '../openapi/console-schemas';

/**
 * `GET /api/v1/whoami` (reader): the caller's principal as the guard established it, so that
 * a client (the console) can hide what the role may not do; the server still checks each call.
 */
export function registerWhoAmIRoute(app: FastifyInstance): void {
  app.get('/api/v1/whoami', async (req) => {
    const principal = req.principal!; // set by the guard: the route needs a reader
    const body: WhoAmI = {
      name: principal.name,
      role: principal.role,
      systems: principal.systems === '*' ? '*' : [...principal.systems],
      via: principal.via,
    };
    return body;
  });
}
