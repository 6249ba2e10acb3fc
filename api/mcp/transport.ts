import type { FastifyReply, FastifyRequest } from 'fastify';
import { RpcCode } from './jsonrpc';

/** JSON-RPC calls in one batch, at most. */
export const MAX_BATCH_CALLS = 50;

const LOOPBACK_HOSTS = ['127.0.0.1', 'localhost', '[::1]'];

/**
 * The origins a browser page may call `/mcp*` from: the listener's own loopback origins
 * (http and https, on the port the request came in on) and the configured ones.
 */
export function allowedOrigins(localPort: number | undefined, configured: readonly string[]) {
  const own = LOOPBACK_HOSTS.flatMap((host) =>
    ['http', 'https'].map((scheme) => `${scheme}://${host}:${localPort ?? ''}`),
  );
  return new Set([...own, ...configured.map((o) => o.replace(/\/+$/, ''))]);
}

const isJsonContentType = (header: string | undefined) =>
  header !== undefined && header.split(';')[0]!.trim().toLowerCase() === 'application/json';

/** The error body of a refused request, in the form the route answers in. */
function refusal(req: FastifyRequest, reason: string, message: string) {
  if (req.url.startsWith('/mcp/tools/call')) return { error: reason, message };
  return {
    jsonrpc: '2.0',
    id: null,
    error: { code: RpcCode.INVALID_REQUEST, message, data: { reason } },
  };
}

/**
 * What the MCP streamable-HTTP transport requires of every `/mcp*` request, checked before
 * the body is read: an `Origin`, when sent, is one we allow (403 otherwise: a page on another
 * site cannot drive a local server, DNS rebinding included); a POST says `application/json`
 * (415 otherwise: a browser's "simple" text/plain POST, which needs no preflight, is refused).
 */
export function checkTransport(allowList: readonly string[]) {
  return async (req: FastifyRequest, reply: FastifyReply) => {
    const origin = req.headers.origin;
    if (origin !== undefined) {
      const allowed = allowedOrigins(req.raw.socket.localPort, allowList);
      if (!allowed.has(origin))
        return reply
          .code(403)
          .send(refusal(req, 'origin_not_allowed', 'this Origin is not allowed'));
    }
    if (req.method === 'POST' && !isJsonContentType(req.headers['content-type']))
      return reply
        .code(415)
        .send(refusal(req, 'unsupported_media_type', 'Content-Type must be application/json'));
    return undefined;
  };
}
