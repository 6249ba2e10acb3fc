import { mkdtempSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { createToken } from '../../auth/token-store';
import { startConfServer, type ConfServer } from '../nats-auth/conf-server';
import { signJwt } from '../api/auth/auth-server';
import { freePort } from '../../faults/processes';
import { exited, spawnAkosha } from '../helpers/processes';
import { waitFor } from '../helpers/wait-for';

const NATS_PASSWORD = 'nats-pw-Zq81LmX0r7';
const REDIS_PASSWORD = 'redis-pw-Uy6Kd0Pp4n';
const JWT_SECRET = 'jwt-secret-Wf3Rt8Yx2Cq9Vb5Nm1';
const MAHAVISHNU_TOKEN = 'mahavishnu-token-Hs7Gd2Jk9';
const FORGED = 'akosha_forged-token-Qw9Er5Ty1Ui3';

describe('an authenticated run logs no secret (whole log of `akosha start` at debug)', () => {
  let nats: ConfServer;
  let dir: string;

  beforeAll(async () => {
    nats = await startConfServer(
      `authorization { users = [ { user: "akosha", password: "${NATS_PASSWORD}" } ] }`,
    );
    dir = mkdtempSync(join(tmpdir(), 'akosha-secrets-'));
  });
  afterAll(async () => {
    await nats?.stop();
    rmSync(dir, { recursive: true, force: true });
  });

  it('keeps tokens, passwords, JWTs and their secret out of stdout and stderr', async () => {
    const tokensFile = join(dir, 'tokens.json');
    const admin = createToken(tokensFile, { name: 'ops', role: 'admin', systems: '*' }).token;
    const jwt = await signJwt(
      { name: 'jwt-writer', role: 'writer', systems: ['log-host'] },
      JWT_SECRET,
    );
    const port = await freePort();
    const child = spawnAkosha(['start'], {
      AKOSHA_NATS_URL: nats.url,
      AKOSHA_START_NATS: 'never',
      AKOSHA_NATS_USER: 'akosha',
      AKOSHA_NATS_PASSWORD: NATS_PASSWORD,
      AKOSHA_REDIS_PASSWORD: REDIS_PASSWORD, // the test Redis has none: every AUTH fails, and is logged
      AKOSHA_AUTH_TOKENS_FILE: tokensFile,
      AKOSHA_AUTH_JWT_SECRET: JWT_SECRET,
      AKOSHA_AUTH_JWT_ISSUER: 'akosha-tests',
      AKOSHA_AUTH_JWT_AUDIENCE: 'akosha',
      AKOSHA_MAHAVISHNU_URL: `http://127.0.0.1:${await freePort()}`,
      AKOSHA_MAHAVISHNU_TOKEN: MAHAVISHNU_TOKEN,
      AKOSHA_DATA_DIR: join(dir, 'data'),
      AKOSHA_HTTP_PORT: String(port),
      AKOSHA_LOG_LEVEL: 'debug',
    });
    let log = '';
    child.stdout?.on('data', (d: Buffer) => (log += d.toString()));
    child.stderr?.on('data', (d: Buffer) => (log += d.toString()));
    try {
      const base = `http://127.0.0.1:${port}`;
      const send = (path: string, credential: string, body?: unknown) =>
        fetch(`${base}${path}`, {
          method: body === undefined ? 'GET' : 'POST',
          headers: {
            authorization: `Bearer ${credential}`,
            ...(body !== undefined && { 'content-type': 'application/json' }),
          },
          ...(body !== undefined && { body: JSON.stringify(body) }),
        });
      await waitFor(
        () =>
          fetch(`${base}/health`).then(
            (r) => r.ok,
            () => false,
          ),
        {
          timeoutMs: 60_000,
          what: 'akosha start listening',
        },
      );
      expect((await send('/api/v1/status', admin)).status).toBe(200);
      expect((await send('/api/v1/search', admin, { query: 'anything at all' })).status).toBe(200);
      const stored = await send('/mcp/tools/call', jwt, {
        name: 'store_memory',
        arguments: {
          memory_id: 'log-m1',
          text: 'a logged write',
          metadata: { source: 'log-host' },
        },
      });
      expect(stored.status).toBe(200);
      expect((await send('/api/v1/status', FORGED)).status).toBe(401);
      expect((await send('/api/v1/audit', admin)).status).toBe(200);
      await waitFor(() => log.includes('request completed'), { what: 'debug request lines' });
    } finally {
      child.kill('SIGTERM');
      await exited(child);
    }
    expect(log).toContain('"level":20'); // debug lines were written
    for (const secret of [
      admin,
      jwt,
      FORGED,
      NATS_PASSWORD,
      REDIS_PASSWORD,
      JWT_SECRET,
      MAHAVISHNU_TOKEN,
    ])
      expect(log).not.toContain(secret);
  });
});
