import { mkdtempSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import Fastify, { type FastifyInstance } from 'fastify';
import type { AuditEvent, AuditSink } from '../../../audit/event';
import { registerAuthGuard, UnlistedRouteError } from '../../../api/auth-guard';
import { buildHttpServer } from '../../../api/http';
import { createAuthenticator } from '../../../auth/authenticator';
import { ROUTE_PERMISSIONS } from '../../../auth/permissions';
import { createToken } from '../../../auth/token-store';
import { HashingEmbedder } from '../../../embedding/hashing-embedder';
import { loadConfig } from '../../../infra/config';
import { createLogger } from '../../../infra/logger';
import { createMetrics } from '../../../infra/metrics';
import { apiReadiness } from '../../helpers/http';
import { startTestNatsWithStreams, type TestNats } from '../../helpers/nats';
import { registeredRoutes } from '../../helpers/routes';
import { call } from './auth-server';

/** Keeps what it is given, for the assertions (the NATS sink has tests of its own). */
class CollectingSink implements AuditSink {
  readonly events: Omit<AuditEvent, 'at'>[] = [];
  record(event: Omit<AuditEvent, 'at'>): void {
    this.events.push(event);
  }
  async flush(): Promise<void> {}
}

describe('the auth guard in the HTTP server', () => {
  let nats: TestNats;
  let dir: string;
  let app: FastifyInstance;
  let base: string;
  let reader: string;
  const audit = new CollectingSink();

  beforeAll(async () => {
    nats = await startTestNatsWithStreams();
    dir = mkdtempSync(join(tmpdir(), 'akosha-guard-'));
    const tokensFile = join(dir, 'tokens.json');
    reader = createToken(tokensFile, { name: 'ann', role: 'reader', systems: '*' }).token;
    const config = loadConfig({ AKOSHA_DATA_DIR: dir, AKOSHA_AUTH_TOKENS_FILE: tokensFile });
    const authenticator = createAuthenticator(config.auth, createLogger('silent'));
    const readiness = apiReadiness(nats.url);
    app = buildHttpServer({
      js: nats.js,
      nc: nats.nc,
      maxPayloadBytes: 1 << 20,
      metrics: createMetrics(),
      embedder: new HashingEmbedder(),
      readiness,
      tokensFile,
      authenticator,
      audit,
      metricsPublic: true,
    });
    base = await app.listen({ host: '127.0.0.1', port: 0 });
  });
  afterAll(async () => {
    await app.close();
    await nats.stop();
    rmSync(dir, { recursive: true, force: true });
  });

  it('serves exactly the routes of the permission matrix', () => {
    const served = registeredRoutes(app).map((r) => `${r.method} ${r.url}`);
    expect([...served].sort()).toEqual(Object.keys(ROUTE_PERMISSIONS).sort());
  });

  it('opens the metrics routes with AKOSHA_METRICS_PUBLIC=true, and only those', async () => {
    for (const path of ['/ready', '/metrics', '/api/v1/openapi.json']) {
      const res = await call(base, 'GET', path, undefined);
      expect({ path, status: res.status }).toEqual({ path, status: 200 });
      await res.body?.cancel();
    }
    const status = await call(base, 'GET', '/api/v1/status', undefined);
    expect(status.status).toBe(401);
    await status.body?.cancel();
  });

  it('audits every 401 and 403 with the principal, the route and the reason', async () => {
    audit.events.length = 0;
    (await call(base, 'GET', '/api/v1/status', undefined)).body?.cancel();
    (await call(base, 'GET', '/api/v1/dlq', 'akosha_not-a-real-token')).body?.cancel();
    (await call(base, 'GET', '/api/v1/dlq', reader)).body?.cancel();
    const tool = await call(base, 'POST', '/mcp', reader, {
      jsonrpc: '2.0',
      id: 1,
      method: 'tools/call',
      params: { name: 'store_memory', arguments: { text: 'x' } },
    });
    await tool.body?.cancel();
    const denials = audit.events.filter((e) => e.action === 'auth.denied');
    expect(denials).toEqual([
      expect.objectContaining({
        action: 'auth.denied',
        result: 'denied',
        principal: 'anonymous',
        role: null,
        source: '127.0.0.1',
        target: { route: 'GET /api/v1/status' },
        detail: { status: 401, reason: 'missing' },
      }),
      expect.objectContaining({
        principal: 'anonymous',
        detail: { status: 401, reason: 'invalid' },
      }),
      expect.objectContaining({
        principal: 'ann',
        role: 'reader',
        target: { route: 'GET /api/v1/dlq' },
        detail: { status: 403, need: 'operator' },
      }),
      expect.objectContaining({
        principal: 'ann',
        target: { route: 'POST /mcp' },
        detail: { status: 403, need: 'writer', tool: 'store_memory' },
      }),
    ]);
    for (const event of denials) expect(typeof event.request_id).toBe('string');
  });
});

describe('a route missing from the permission matrix', () => {
  it('fails the server at start', async () => {
    const app = Fastify({ logger: false });
    registerAuthGuard(app);
    const start = async () => {
      app.get('/api/v1/unlisted', async () => ({ open: true }));
      await app.ready();
    };
    await expect(start()).rejects.toThrow(UnlistedRouteError);
    await app.close().catch(() => undefined);
  });
});
