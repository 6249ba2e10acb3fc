import { mkdtempSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import type { Pipeline } from '../../app/pipeline';
import type { Role } from '../../app/roles';
import { createToken } from '../../auth/token-store';
import { startTestNats, type TestNats } from '../helpers/nats';
import { startTestPipeline, testConfig, testEnv } from '../helpers/pipeline';
import { httpsRequest } from '../helpers/https-client';
import { kill, startAkosha } from '../helpers/processes';
import { makeTestCa } from '../helpers/tls';
import { waitFor } from '../helpers/wait-for';

const PROBES = ['/health', '/ready', '/metrics'];

const status = async (base: string, path: string, token?: string, method = 'GET') =>
  (
    await fetch(`${base}${path}`, {
      method,
      headers: token === undefined ? {} : { authorization: `Bearer ${token}` },
    })
  ).status;

describe('the probe listener of a process without role api', () => {
  let nats: TestNats;
  let dir: string;
  beforeAll(async () => {
    nats = await startTestNats();
    dir = mkdtempSync(join(tmpdir(), 'akosha-probes-'));
  });
  afterAll(async () => {
    await nats.stop();
    rmSync(dir, { recursive: true, force: true });
  });

  it('akosha start --roles ingest answers /health, /ready and /metrics, and 404 elsewhere', async () => {
    const env = testEnv(nats.url, { AKOSHA_LOG_LEVEL: 'info' });
    const { child, http: base } = await startAkosha(['start', '--roles', 'ingest'], env);
    try {
      expect(base).toMatch(/^http:\/\/127\.0\.0\.1:\d+$/);

      // no token file: loopback callers are admins, as on the API
      const ready = await waitFor(() => fetch(`${base}/ready`), {
        until: (r) => r.status === 200,
        what: '/ready 200',
        timeoutMs: 30_000,
      });
      expect(await ready.json()).toMatchObject({ ready: true, roles: ['ingest'] });
      expect(await status(base, '/health')).toBe(200);
      const metrics = await (await fetch(`${base}/metrics`)).text();
      expect(metrics).toContain('akosha_');
      expect(await status(base, '/api/v1/search', undefined, 'POST')).toBe(404);
      for (const path of ['/api/v1/status', '/api/v1/openapi.json', '/mcp', '/console'])
        expect(await status(base, path)).toBe(404);
    } finally {
      await kill(child, 'SIGTERM');
    }
    expect(child.exitCode).toBe(0);
  }, 180_000);

  describe('with authentication', () => {
    let tokensFile: string;
    let operator: string;
    let reader: string;
    const running: Pipeline[] = [];
    beforeAll(() => {
      tokensFile = join(dir, 'tokens.json');
      operator = createToken(tokensFile, { name: 'ops', role: 'operator', systems: '*' }).token;
      reader = createToken(tokensFile, { name: 'look', role: 'reader', systems: '*' }).token;
    });
    afterEach(async () => {
      await Promise.all(running.splice(0).map((p) => p.close()));
    });
    const start = async (roles: Role[], env: Record<string, string> = {}) => {
      const config = testConfig(nats.url, { AKOSHA_AUTH_TOKENS_FILE: tokensFile, ...env });
      const pipeline = await startTestPipeline(config, roles);
      running.push(pipeline);
      return pipeline.httpAddress!;
    };

    it('a writer: /health is open, /ready and /metrics need an operator, the API is not there', async () => {
      const base = await start(['writer']);
      expect(await status(base, '/health')).toBe(200);
      for (const path of ['/ready', '/metrics']) {
        expect(await status(base, path)).toBe(401);
        expect(await status(base, path, reader)).toBe(403);
      }
      expect(await status(base, '/metrics', operator)).toBe(200);
      await waitFor(() => status(base, '/ready', operator), { until: (s) => s === 200 });
      // an unknown path needs a credential too, so the listener cannot be probed anonymously
      expect(await status(base, '/api/v1/search', undefined, 'POST')).toBe(401);
      expect(await status(base, '/api/v1/search', operator, 'POST')).toBe(404);
      expect(await status(base, '/api/v1/memories', operator)).toBe(404);
    }, 120_000);

    it("/ready is this process's own readiness: the scheduler's stage reports its orchestrator", async () => {
      const base = await start(['scheduler']);
      const res = await fetch(`${base}/ready`, {
        headers: { authorization: `Bearer ${operator}` },
      });
      expect(res.status).toBe(200);
      expect(await res.json()).toMatchObject({
        ready: true,
        roles: ['scheduler'],
        orchestrator: expect.any(Object),
      });
    }, 120_000);

    it('AKOSHA_METRICS_PUBLIC=true opens /ready and /metrics, nothing else', async () => {
      const base = await start(['scheduler'], { AKOSHA_METRICS_PUBLIC: 'true' });
      for (const path of PROBES) expect(await status(base, path)).toBe(200);
      expect(await status(base, '/api/v1/search', undefined, 'POST')).toBe(401);
    }, 120_000);

    it('two writers on one machine each listen on a port of their own', async () => {
      const a = await start(['writer'], { AKOSHA_WRITER_GROUPS: '0-7' });
      const b = await start(['writer'], { AKOSHA_WRITER_GROUPS: '8-15' });
      expect(a).not.toBe(b);
      for (const base of [a, b]) expect(await status(base, '/metrics', operator)).toBe(200);
    }, 120_000);
  });

  it("listens over TLS with the API's certificate settings", async () => {
    const ca = makeTestCa();
    const server = ca.server();
    const config = testConfig(nats.url, {
      AKOSHA_HTTP_TLS_CERT: server.cert,
      AKOSHA_HTTP_TLS_KEY: server.key,
    });
    const pipeline = await startTestPipeline(config, ['scheduler']);
    try {
      expect(pipeline.httpAddress).toMatch(/^https:\/\/127\.0\.0\.1:\d+$/);
      const res = await httpsRequest(`${pipeline.httpAddress}/health`, { ca: ca.cert });
      expect(res.status).toBe(200);
    } finally {
      await pipeline.close();
    }
  }, 60_000);

  it('refuses to start on a non-loopback host without authentication, as the API does', async () => {
    const config = testConfig(nats.url, {
      AKOSHA_HTTP_HOST: '0.0.0.0',
      AKOSHA_AUTH_TOKENS_FILE: join(dir, 'none', 'tokens.json'),
    });
    await expect(startTestPipeline(config, ['ingest'])).rejects.toThrow(
      'akosha token create --name ops --role admin',
    );
  }, 60_000);
});
