import type { FastifyInstance } from 'fastify';
import { listTokens } from '../../auth';

export interface TokenRouteDeps {
  /** AKOSHA_AUTH_TOKENS_FILE; absent: the route answers 503 */
  tokensFile?: string | undefined;
}

/** `GET /api/v1/tokens` (admin): names, roles, systems and creation times; never a hash. */
export function registerTokenRoutes(app: FastifyInstance, deps: TokenRouteDeps): void {
  app.get('/api/v1/tokens', async (req, reply) => {
    if (!deps.tokensFile)
      return reply.code(503).send({ error: 'tokens_unavailable', request_id: req.id });
    try {
      return { tokens: listTokens(deps.tokensFile) };
    } catch (err) {
      // the file name and the reason go to the log, not to the client
      req.log.warn({ code: (err as { code?: string }).code ?? 'error' }, 'token file unreadable');
      return reply.code(503).send({ error: 'token_file_unreadable', request_id: req.id });
    }
  });
}
