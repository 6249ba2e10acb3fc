import type { FastifyError, FastifyInstance, FastifyReply, FastifyRequest } from 'fastify';
import type { Embedder } from '../../embedding';
import { ColdReadLimitError } from '../../storage';
import { bodyTooLarge, LimitError } from './errors';
import type { HttpLimits } from '../../infra';
import { DEFAULT_HTTP_LIMITS } from './limits';
import { registerJsonParser } from './json-parser';
import { registerRateLimit } from './rate-limit';
import { gateEmbedder, Semaphore } from './semaphore';

/** The defaults with what the caller set. */
export const httpLimits = (limits: Partial<HttpLimits> = {}): HttpLimits => ({
  ...DEFAULT_HTTP_LIMITS,
  ...limits,
});

/** Fastify's own options for the limits: the body limit of non-MCP routes and the timeouts. */
export const serverLimitOptions = (limits: HttpLimits) => ({
  bodyLimit: limits.bodyLimitBytes,
  requestTimeout: limits.requestTimeoutMs,
  connectionTimeout: limits.connectionTimeoutMs,
});

/**
 * Installs the limits on the root scope: the depth-checking JSON parser and the rate limit
 * (before any route is declared).
 */
export function applyHttpLimits(app: FastifyInstance, limits: HttpLimits): void {
  registerJsonParser(app, { bodyLimitBytes: limits.bodyLimitBytes, maxDepth: limits.jsonMaxDepth });
  registerRateLimit(app, { perMinute: limits.ratePerMinute });
}

/** The embedder the embedding endpoints must use: the shared one behind a bounded semaphore. */
export function limitEmbedding(embedder: Embedder, limits: HttpLimits): Embedder {
  const { concurrency, queue } = limits.embedding;
  return gateEmbedder(embedder, new Semaphore(concurrency, queue, 'embedding'));
}

/**
 * Answers a request refused by a limit (`LimitError`, or Fastify's body-too-large error) and
 * returns true; false for any other error.
 */
export function replyToLimit(err: unknown, req: FastifyRequest, reply: FastifyReply): boolean {
  let limit = err instanceof LimitError ? err : undefined;
  if (err instanceof ColdReadLimitError) limit = new LimitError(503, err.reason, err.message);
  if ((err as FastifyError).code === 'FST_ERR_CTP_BODY_TOO_LARGE')
    limit = bodyTooLarge(req.routeOptions.bodyLimit ?? 0);
  if (!limit) return false;
  if (limit.retryAfterS !== undefined) void reply.header('retry-after', String(limit.retryAfterS));
  void reply
    .code(limit.statusCode)
    .send({ error: limit.reason, message: limit.message, ...limit.detail, request_id: req.id });
  return true;
}
