import pino, { type Logger } from 'pino';

export type { Logger };

const SECRET_FIELDS = [
  'password',
  'passwd',
  'token',
  'secret',
  'seed',
  'key',
  'apiKey',
  'privateKey',
  'authorization',
  'cookie',
  'credentials',
];

/**
 * Fields whose value never reaches a log, at the top level and one or two levels down
 * (`config.nats.password`, `req.headers.authorization`, `err.config.headers.cookie` is
 * caught by the header paths).
 */
export const REDACT_PATHS = [
  ...SECRET_FIELDS,
  ...SECRET_FIELDS.map((f) => `*.${f}`),
  ...SECRET_FIELDS.map((f) => `*.*.${f}`),
  'req.headers["set-cookie"]',
  'res.headers["set-cookie"]',
  'req.headers["x-api-key"]',
];

export function createLogger(level: string, name = 'akosha'): Logger {
  return pino({ name, level, redact: { paths: REDACT_PATHS, censor: '[redacted]' } });
}
