import { mkdtempSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import type { Pipeline } from '../../app/pipeline';
import { createToken } from '../../auth/token-store';
import { httpsRequest } from '../helpers/https-client';
import { startTestNats, type TestNats } from '../helpers/nats';
import { startTestPipeline, testConfig } from '../helpers/pipeline';
import { makeTestCa, type TestCa } from '../helpers/tls';

describe('mutual TLS: a client certificate CN names a principal of the token file', () => {
  let nats: TestNats;
  let ca: TestCa;
  let dir: string;
  let pipeline: Pipeline;
  beforeAll(async () => {
    nats = await startTestNats();
    ca = makeTestCa();
    dir = mkdtempSync(join(tmpdir(), 'akosha-tls-tokens-'));
    const tokensFile = join(dir, 'tokens.json');
    createToken(tokensFile, { name: 'reader-bot', role: 'reader', systems: '*' });
    createToken(tokensFile, { name: 'ops-admin', role: 'admin', systems: '*' });
    const server = ca.server();
    pipeline = await startTestPipeline(
      testConfig(nats.url, {
        AKOSHA_HTTP_TLS_CERT: server.cert,
        AKOSHA_HTTP_TLS_KEY: server.key,
        AKOSHA_HTTP_TLS_CLIENT_CA: ca.cert,
        AKOSHA_AUTH_TOKENS_FILE: tokensFile,
      }),
      ['api'],
    );
  });
  afterAll(async () => {
    await pipeline?.close();
    await nats.stop();
    rmSync(dir, { recursive: true, force: true });
  });

  const get = (path: string, cn: string) =>
    httpsRequest(`${pipeline.httpAddress}${path}`, { ca: ca.cert, ...ca.client(cn) });

  it("gives a reader's CN the reader role: 403 on an admin or operator route", async () => {
    const tokens = await get('/api/v1/tokens', 'reader-bot');
    expect(tokens.status).toBe(403);
    expect(JSON.parse(tokens.body)).toMatchObject({ error: 'forbidden', need: 'admin' });
    expect((await get('/metrics', 'reader-bot')).status).toBe(403);
  });

  it("gives an admin's CN the admin role", async () => {
    const tokens = await get('/api/v1/tokens', 'ops-admin');
    expect(tokens.status).toBe(200);
    expect(tokens.body).toContain('reader-bot');
    expect((await get('/metrics', 'ops-admin')).status).toBe(200);
  });

  it('refuses a verified certificate whose CN names no principal (401)', async () => {
    const res = await get('/api/v1/tokens', 'somebody-else');
    expect(res.status).toBe(401);
    expect(String(res.headers['www-authenticate'])).toMatch(/^Bearer/);
  });
});
