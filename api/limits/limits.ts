import { HTTP_LIMIT_DEFAULTS } from '../../infra/defaults';

/** The limits every HTTP and MCP request is held to (settings in infra/config.ts). */
export interface HttpLimits {
  /** body limit of every route but the MCP ones */
  bodyLimitBytes: number;
  /** body limit of the `/mcp*` routes (batches of memories with their vectors) */
  mcpBodyLimitBytes: number;
  /** nesting of objects and arrays in a JSON body */
  jsonMaxDepth: number;
  /** a request's headers and body must arrive within this (Fastify `requestTimeout`) */
  requestTimeoutMs: number;
  /** a socket with no traffic either way is closed after this (Fastify `connectionTimeout`) */
  connectionTimeoutMs: number;
  /** requests per principal (or client address) per minute; /health is exempt */
  ratePerMinute: number;
  /** embedding requests computed at once, and how many more may wait */
  embedding: { concurrency: number; queue: number };
  /** `Origin` values accepted on `/mcp*` besides the listener's own loopback origins */
  mcpAllowedOrigins: readonly string[];
}

export const DEFAULT_HTTP_LIMITS: HttpLimits = {
  ...HTTP_LIMIT_DEFAULTS,
  embedding: { ...HTTP_LIMIT_DEFAULTS.embedding },
  mcpAllowedOrigins: [],
};
