import { existsSync, mkdtempSync, rmSync } from 'node:fs';
import { createServer } from 'node:net';
import { networkInterfaces, tmpdir } from 'node:os';
import { join } from 'node:path';
import pino from 'pino';
import { checkHttpExposure } from '../../auth/exposure';
import { refuseRemoteNatsFallback } from '../../infra/nats-fallback';
import { createToken } from '../../auth/token-store';
import { ConfigError } from '../../infra/config';
import { authConfig } from '../helpers/auth';
import { startTestNats, type TestNats } from '../helpers/nats';
import { testEnv } from '../helpers/pipeline';
import { exited, kill, runAkosha, spawnAkosha, startAkosha } from '../helpers/processes';
import { waitFor } from '../helpers/wait-for';

const silent = pino({ level: 'silent' });
const HOW_TO = 'akosha token create --name ops --role admin';

describe('checkHttpExposure', () => {
  let dir: string;
  beforeEach(() => (dir = mkdtempSync(join(tmpdir(), 'akosha-exposure-'))));
  afterEach(() => rmSync(dir, { recursive: true, force: true }));
  const file = () => join(dir, 'tokens.json');
  const check =
    (host: string, over: Parameters<typeof authConfig>[1] = {}) =>
    () =>
      checkHttpExposure({ host }, authConfig(file(), over), silent);

  it('refuses a non-loopback listener with no authentication configured', () => {
    for (const host of ['0.0.0.0', '::', '192.0.2.2', 'akosha.example.com'])
      expect(check(host)).toThrow(HOW_TO);
    expect(check('0.0.0.0')).toThrow(ConfigError);
    expect(check('0.0.0.0')).toThrow('AKOSHA_AUTH=off');
  });

  /** JWT settings with the issuer and audience every token must name */
  const jwtWith = (over: Partial<ReturnType<typeof authConfig>['jwt']>) => ({
    jwt: { ...authConfig('').jwt, issuer: 'https://idp', audience: 'akosha', ...over },
  });

  it('allows loopback, or any host once something authenticates callers', () => {
    for (const host of ['127.0.0.1', 'localhost', '::1']) expect(check(host)).not.toThrow();
    expect(check('0.0.0.0', jwtWith({ secret: 's' }))).not.toThrow();
    expect(check('0.0.0.0', jwtWith({ jwksUrl: 'https://idp/jwks' }))).not.toThrow();
    expect(
      check('0.0.0.0', { anonymousRole: 'reader', anonymousCidrs: ['10.0.0.0/8'] }),
    ).not.toThrow();
    createToken(file(), { name: 'ops', role: 'admin', systems: '*' });
    expect(check('0.0.0.0')).not.toThrow();
  });

  it('refuses a JWT secret or key set without an issuer and an audience to check', () => {
    for (const host of ['127.0.0.1', '0.0.0.0']) {
      expect(check(host, jwtWith({ secret: 's', issuer: '' }))).toThrow(
        'AKOSHA_AUTH_JWT_SECRET needs AKOSHA_AUTH_JWT_ISSUER:',
      );
      expect(check(host, jwtWith({ jwksUrl: 'https://idp/jwks', audience: '' }))).toThrow(
        'AKOSHA_AUTH_JWKS_URL needs AKOSHA_AUTH_JWT_AUDIENCE:',
      );
      expect(check(host, jwtWith({ secret: 's', issuer: '', audience: '' }))).toThrow(
        'AKOSHA_AUTH_JWT_ISSUER and AKOSHA_AUTH_JWT_AUDIENCE',
      );
    }
  });

  it('AKOSHA_AUTH=off starts anywhere, with a warning', () => {
    const lines: string[] = [];
    const log = pino({ level: 'warn' }, { write: (l: string) => void lines.push(l) });
    checkHttpExposure({ host: '0.0.0.0' }, authConfig(file(), { mode: 'off' }), log);
    expect(lines.join('')).toContain('AKOSHA_AUTH=off');
  });

  it('refuses anonymous networks that are not networks', () => {
    expect(check('127.0.0.1', { anonymousCidrs: ['10.0.0.0/99'] })).toThrow(
      'AKOSHA_AUTH_ANONYMOUS_CIDRS',
    );
  });
});

describe('refuseRemoteNatsFallback', () => {
  const refused = (url: string) => () =>
    refuseRemoteNatsFallback(url, new Error('CONNECTION_REFUSED'));
  it('lets a loopback URL fall back to a local server, and nothing else', () => {
    for (const url of [
      'nats://127.0.0.1:4222',
      'nats://localhost:4222',
      'nats://[::1]:4222',
      '127.0.0.1:4222',
    ])
      expect(refused(url)).not.toThrow();
    for (const url of [
      'nats://10.255.255.1:4222',
      'tls://nats.example.com:4222',
      'nats://127.0.0.1:4222,nats://10.0.0.2:4222',
    ])
      expect(refused(url)).toThrow('AKOSHA_START_NATS=auto');
  });

  it('does not repeat credentials of the URL', () => {
    expect(refused('nats://user:hunter2@10.0.0.2:4222')).toThrow(/^((?!hunter2).)*$/s);
  });
});

/** A non-loopback address of this machine with a port nothing listens on: refused at once. */
async function closedRemotePort(): Promise<string> {
  const address = Object.values(networkInterfaces())
    .flat()
    .find((i) => i && i.family === 'IPv4' && !i.internal)?.address;
  if (!address) return 'nats://10.255.255.1:4222'; // no route: fails at the connect timeout
  const server = createServer();
  await new Promise<void>((resolve) => server.listen(0, address, resolve));
  const { port } = server.address() as { port: number };
  await new Promise((resolve) => server.close(resolve));
  return `nats://${address}:${port}`;
}

describe('akosha start', () => {
  let nats: TestNats;
  beforeAll(async () => {
    nats = await startTestNats();
  });
  afterAll(() => nats.stop());

  it('refuses AKOSHA_HTTP_HOST=0.0.0.0 with no authentication, saying how to go on', async () => {
    const env = testEnv(nats.url, { AKOSHA_HTTP_HOST: '0.0.0.0' });
    const run = await runAkosha(['start', '--roles', 'api'], env);
    expect(run.code).not.toBe(0);
    expect(run.stderr).toContain(HOW_TO);
    expect(run.stderr).toContain('AKOSHA_AUTH=off');
  }, 90_000);

  it('starts on 0.0.0.0 with AKOSHA_AUTH=off, and warns', async () => {
    const env = testEnv(nats.url, {
      AKOSHA_HTTP_HOST: '0.0.0.0',
      AKOSHA_AUTH: 'off',
      AKOSHA_LOG_LEVEL: 'info',
    });
    const { child, lines } = await startAkosha(['start', '--roles', 'api'], env, 60_000);
    try {
      const warning = lines().find((l) => l.includes('AKOSHA_AUTH=off'));
      expect(JSON.parse(warning!)).toMatchObject({ level: 40 });
    } finally {
      await kill(child, 'SIGTERM');
    }
  }, 90_000);

  it('AKOSHA_START_NATS=auto starts no local nats-server in place of a remote AKOSHA_NATS_URL', async () => {
    const url = await closedRemotePort();
    const env = testEnv(url, { AKOSHA_START_NATS: 'auto' });
    const child = spawnAkosha(['start', '--roles', 'api'], env);
    let err = '';
    child.stderr?.on('data', (d: Buffer) => (err += d.toString()));
    await exited(child);
    expect(child.exitCode).not.toBe(0);
    expect(err).toContain('AKOSHA_START_NATS=auto starts a local nats-server only');
    expect(existsSync(join(env.AKOSHA_DATA_DIR!, 'nats'))).toBe(false);
  }, 90_000);
});

/** A loopback port nothing listens on now. */
async function freeLoopbackPort(): Promise<number> {
  const server = createServer();
  await new Promise<void>((resolve) => server.listen(0, '127.0.0.1', resolve));
  const { port } = server.address() as { port: number };
  await new Promise((resolve) => server.close(resolve));
  return port;
}

describe('akosha start with no configuration (what `npm start` runs)', () => {
  let dataDir: string;
  beforeAll(() => (dataDir = mkdtempSync(join(tmpdir(), 'akosha-defaults-'))));
  afterAll(() => rmSync(dataDir, { recursive: true, force: true }));

  it('starts its own nats-server, listens on loopback and trusts loopback callers until a token exists', async () => {
    // only what keeps this run apart from others on the machine: its data, its ports, its cache keys
    const env = {
      AKOSHA_DATA_DIR: dataDir,
      AKOSHA_NATS_URL: `nats://127.0.0.1:${await freeLoopbackPort()}`,
      AKOSHA_HTTP_PORT: String(await freeLoopbackPort()),
      AKOSHA_QUERY_CACHE_PREFIX: `akosha-test:defaults-${process.pid}`,
      AKOSHA_LOG_LEVEL: 'info',
    };
    const { child, http: base } = await startAkosha(['start'], env);
    try {
      expect(base).toBe(`http://127.0.0.1:${env.AKOSHA_HTTP_PORT}`);
      expect(existsSync(join(dataDir, 'nats'))).toBe(true);
      // loopback, no credential: an admin route answers
      expect((await fetch(`${base}/api/v1/status`)).status).toBe(200);

      const created = await runAkosha(['token', 'create', '--name', 'ops', '--role', 'admin'], env);
      expect(created.code).toBe(0);
      const token = created.stdout.trim().split('\n').at(-1)!;
      // the running server reads the token file again: loopback must authenticate now
      await waitFor(async () => (await fetch(`${base}/api/v1/status`)).status === 401, {
        what: 'loopback refused once a token exists',
        timeoutMs: 15_000,
      });
      const withToken = await fetch(`${base}/api/v1/status`, {
        headers: { authorization: `Bearer ${token}` },
      });
      expect(withToken.status).toBe(200);
    } finally {
      await kill(child, 'SIGTERM');
    }
  }, 180_000);
});
