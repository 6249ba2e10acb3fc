import { randomUUID } from 'node:crypto';
import type { IncomingMessage } from 'node:http';
import {
  LogController,
  type FastifyBaseLogger,
  type FastifyError,
  type FastifyInstance,
  type FastifyReply,
  type FastifyRequest,
} from 'fastify';
import { AkoshaError, createLogger, ErrorCodes, type Logger } from '../infra';

/** An incoming `x-request-id` is kept when it is a short plain token; else one is made. */
const SANE_REQUEST_ID = /^[A-Za-z0-9._:-]{1,64}$/;

export function requestIdOf(req: IncomingMessage): string {
  const given = req.headers['x-request-id'];
  return typeof given === 'string' && SANE_REQUEST_ID.test(given) ? given : randomUUID();
}

/**
 * Fastify's logging: the process logger (with its redaction) under `component: http`, a
 * request id on every request, and no per-request info lines (one debug line instead:
 * an info line per request would swamp a loaded server's log).
 */
export function fastifyLogOptions(log: Logger | undefined) {
  const loggerInstance: FastifyBaseLogger = (log ?? createLogger('silent')).child({
    component: 'http',
  });
  return {
    loggerInstance,
    logController: new LogController({ disableRequestLogging: true }),
    genReqId: requestIdOf,
  };
}

/** Echoes the request id and logs each request's completion at debug. */
export function registerRequestLogging(app: FastifyInstance): void {
  // callback hooks: an async one costs a promise per request
  app.addHook('onSend', (request, reply, payload, done) => {
    reply.header('x-request-id', request.id);
    done(null, payload);
  });
  app.addHook('onResponse', (request, reply, done) => {
    request.log.debug(
      {
        method: request.method,
        route: request.routeOptions.url ?? '(no route)',
        status: reply.statusCode,
        ms: Math.round(reply.elapsedTime),
      },
      'request completed',
    );
    done();
  });
}

/** Unknown routes answer like every other error: a reason and the request id. */
export function registerNotFound(app: FastifyInstance): void {
  app.setNotFoundHandler((request, reply) =>
    reply.code(404).send({ error: 'not_found', message: 'no such route', request_id: request.id }),
  );
}

const ERROR_NAMES: Partial<Record<number, string>> = {
  400: 'bad_request',
  404: 'not_found',
  405: 'method_not_allowed',
  409: 'conflict',
  413: 'payload_too_large',
  415: 'unsupported_media_type',
  429: 'too_many_requests',
};

/**
 * Error bodies carry the request id. A client error keeps its reason (validation issues,
 * Fastify's own 4xx message about the body); a server error says nothing of its cause,
 * which goes to the log with that id.
 */
export function sendError(thrown: unknown, request: FastifyRequest, reply: FastifyReply) {
  const request_id = request.id;
  if (thrown instanceof AkoshaError) return sendCoded(thrown, request, reply);
  const err = thrown as Partial<FastifyError>;
  const status = err.statusCode ?? 500;
  if (status >= 500 || status < 400) {
    request.log.error({ err }, 'request failed');
    return reply.code(500).send({ error: 'internal', message: 'internal error', request_id });
  }
  request.log.debug({ err }, 'request refused');
  const error = ERROR_NAMES[status] ?? 'bad_request';
  return reply.code(status).send({ error, message: err.message, request_id });
}

/** A coded error is answered with its code's status (ErrorCodes); a 5xx says nothing of its cause. */
function sendCoded(err: AkoshaError, request: FastifyRequest, reply: FastifyReply) {
  const request_id = request.id;
  const status = ErrorCodes[err.code].httpStatus;
  if (status >= 500) {
    request.log.error({ err }, 'request failed');
    const unavailable = status === 503;
    return reply.code(status).send({
      error: unavailable ? 'unavailable' : 'internal',
      message: unavailable ? 'temporarily unavailable, retry later' : 'internal error',
      request_id,
    });
  }
  const error = status === 400 ? 'invalid_request' : (ERROR_NAMES[status] ?? 'bad_request');
  return reply.code(status).send({ error, message: err.message, issues: err.issues, request_id });
}
