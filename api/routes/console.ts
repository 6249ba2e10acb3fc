import type { FastifyInstance, FastifyReply, FastifyRequest } from 'fastify';
import { type Asset, CONSOLE_HEADERS, ConsoleAssets } from '../console/assets';

/**
 * `GET /console` and `GET /console/:asset`: the operator console, a static page with no data
 * of its own (public). Every figure it shows comes from the API under the caller's own
 * credential and role.
 */
export function registerConsoleRoutes(app: FastifyInstance, assets = new ConsoleAssets()): void {
  app.get('/console', (req, reply) => send(req, reply, assets.page(), 'page'));
  app.get<{ Params: { asset: string } }>('/console/:asset', (req, reply) =>
    req.params.asset === ''
      ? reply.redirect('/console')
      : send(req, reply, assets.asset(req.params.asset), req.params.asset),
  );
}

async function send(
  req: FastifyRequest,
  reply: FastifyReply,
  pending: Promise<Asset> | undefined,
  name: string,
): Promise<FastifyReply> {
  if (!pending) return reply.code(404).send({ error: 'not_found', request_id: req.id });
  try {
    const asset = await pending;
    return reply.headers(CONSOLE_HEADERS).type(asset.contentType).send(asset.body);
  } catch (err) {
    // a build or image without console/: say so to the operator, not the file's path
    req.log.error({ err, asset: name }, 'console file unreadable');
    return reply.code(503).send({ error: 'console_unavailable', request_id: req.id });
  }
}
