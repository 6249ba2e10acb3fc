import type { FastifyInstance } from 'fastify';
import { buildHttpServer } from '../../../api/http';
import type { HttpLimits } from '../../../infra/option-types';
import type { Authenticator, Principal } from '../../../auth/principal';
import type { Embedder } from '../../../embedding/embedder';
import { HashingEmbedder } from '../../../embedding/hashing-embedder';
import { SearchService } from '../../../api/search';
import { createMetrics } from '../../../infra/metrics';
import type { GraphStore } from '../../../storage/graph/types';
import type { HotStore } from '../../../storage/hot-store';
import { apiReadiness } from '../../helpers/http';
import type { TestNats } from '../../helpers/nats';

export interface LimitsServer {
  app: FastifyInstance;
  base: string;
  close(): Promise<void>;
}

/** Bearer tokens `<name>` → a writer of every system named so; anything else is refused. */
export const namedTokens = (names: string[]): Authenticator => ({
  enforcing: true,
  authenticate: async ({ authorization }) => {
    const name = authorization?.replace(/^Bearer /, '');
    if (!name || !names.includes(name)) return { ok: false, reason: 'invalid' };
    const principal: Principal = { name, role: 'admin', systems: '*', via: 'token' };
    return { ok: true, principal };
  },
  close: () => undefined,
});

/** The real HTTP server of api/http.ts on 127.0.0.1, an ephemeral port, with these limits (and shards). */
export async function startLimitsServer(
  nats: TestNats,
  opts: {
    limits?: Partial<HttpLimits>;
    embedder?: Embedder;
    authenticator?: Authenticator;
    /** hot shards to search; without, the search routes answer 503 */
    store?: HotStore;
    /** the knowledge graph; without, the graph routes and tools answer 503 / no_graph */
    graph?: GraphStore;
  } = {},
): Promise<LimitsServer> {
  const embedder = opts.embedder ?? new HashingEmbedder();
  const { store } = opts;
  const app = buildHttpServer({
    metrics: createMetrics(),
    embedder,
    readiness: apiReadiness(nats.url),
    js: nats.js,
    maxPayloadBytes: 1024 * 1024,
    limits: opts.limits,
    authenticator: opts.authenticator,
    store,
    graph: opts.graph,
    search: store && new SearchService(store, embedder, { partTimeoutMs: 5000 }),
  });
  const base = await app.listen({ host: '127.0.0.1', port: 0 });
  return { app, base, close: () => app.close() };
}

/** A JSON body nested `depth` levels: {"a":{"a":…{}}} */
export const nested = (depth: number): string =>
  '{"a":'.repeat(depth - 1) + '{}' + '}'.repeat(depth - 1);
