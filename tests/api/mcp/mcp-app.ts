import Fastify, { type FastifyInstance } from 'fastify';
import type { JetStreamClient } from '@nats-io/jetstream';
import { registerAuthGuard } from '../../../api/auth-guard';
import { registerMcpRoutes, type McpDeps, type McpSearchRequest } from '../../../api/mcp';
import { HashingEmbedder } from '../../../embedding/hashing-embedder';

export interface McpTestApp {
  app: FastifyInstance;
  base: string;
  /** requests the fake search received */
  searches: McpSearchRequest[];
  post(path: string, body: unknown, headers?: Record<string, string>): Promise<Response>;
  close(): Promise<void>;
}

/** A fake search for shape tests only: echoes the query as one hit. */
export function fakeSearch(searches: McpSearchRequest[]): McpDeps['search'] {
  return async (req) => {
    searches.push(req);
    return {
      results: [
        {
          system_id: req.system_id ?? 'test-system',
          id: 'hit-1',
          kind: 'conversation',
          content: `about ${req.query}`,
          similarity: 0.9,
          tier: 'hot',
        },
      ],
    };
  };
}

/** A real Fastify app with the MCP routes, listening on 127.0.0.1 on a free port. */
export async function startMcpApp(
  js: JetStreamClient,
  overrides: Partial<McpDeps> = {},
): Promise<McpTestApp> {
  const searches: McpSearchRequest[] = [];
  const app = Fastify({ logger: false });
  registerAuthGuard(app); // nothing configured: loopback callers are admins
  registerMcpRoutes(app, {
    js,
    maxPayloadBytes: 1024 * 1024,
    embedder: new HashingEmbedder(),
    search: fakeSearch(searches),
    readiness: () => ({ ready: true }),
    ...overrides,
  });
  const base = await app.listen({ host: '127.0.0.1', port: 0 });
  return {
    app,
    base,
    searches,
    post: (path, body, headers = {}) =>
      fetch(`${base}${path}`, {
        method: 'POST',
        headers: { 'content-type': 'application/json', ...headers },
        body: typeof body === 'string' ? body : JSON.stringify(body),
      }),
    close: () => app.close(),
  };
}
