import { mkdtempSync, readFileSync, rmSync, statSync, writeFileSync } from 'node:fs';
import { createServer, type AddressInfo } from 'node:net';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import pino from 'pino';
import { createAuthenticator } from '../../auth/authenticator';
import { TokenRegistry } from '../../auth/token-registry';
import {
  createToken,
  hashToken,
  listTokens,
  readTokenFile,
  revokeToken,
  TOKEN_PREFIX,
  TokenFileError,
} from '../../auth/token-store';
import { loadConfig } from '../../infra/config';
import { authConfig } from '../helpers/auth';
import { runAkosha } from '../helpers/processes';
import { waitFor } from '../helpers/wait-for';

const silent = pino({ level: 'silent' });
let dir: string;
let file: string;

beforeEach(() => {
  dir = mkdtempSync(join(tmpdir(), 'akosha-tokens-'));
  file = join(dir, 'auth', 'tokens.json');
});
afterEach(() => rmSync(dir, { recursive: true, force: true }));

describe('token file', () => {
  it('is <data dir>/auth/tokens.json unless AKOSHA_AUTH_TOKENS_FILE names one', () => {
    expect(loadConfig({ AKOSHA_DATA_DIR: dir }).auth.tokensFile).toBe(`${dir}/auth/tokens.json`);
    expect(
      loadConfig({ AKOSHA_DATA_DIR: dir, AKOSHA_AUTH_TOKENS_FILE: file }).auth.tokensFile,
    ).toBe(file);
  });

  it('stores hashes only, in a 0600 file in a 0700 directory', () => {
    const { token, entry } = createToken(file, { name: 'ops', role: 'admin', systems: '*' });
    expect(token.startsWith(TOKEN_PREFIX)).toBe(true);
    expect(Buffer.from(token.slice(TOKEN_PREFIX.length), 'base64url').length).toBe(32);
    expect(entry.sha256).toBe(hashToken(token));
    const text = readFileSync(file, 'utf8');
    expect(text).not.toContain(token);
    expect(text).not.toContain(token.slice(TOKEN_PREFIX.length));
    expect(statSync(file).mode & 0o777).toBe(0o600);
    expect(statSync(join(dir, 'auth')).mode & 0o777).toBe(0o700);
  });

  it('creates, lists without hashes, and revokes', () => {
    createToken(file, { name: 'ops', role: 'admin', systems: '*' });
    createToken(file, { name: 'sb-1', role: 'writer', systems: ['alpha', 'beta', 'alpha'] });
    const listed = listTokens(file);
    expect(listed.map((t) => [t.name, t.role, t.systems])).toEqual([
      ['ops', 'admin', '*'],
      ['sb-1', 'writer', ['alpha', 'beta']],
    ]);
    expect(JSON.stringify(listed)).not.toMatch(/sha256|[0-9a-f]{64}/);
    expect(listed.every((t) => !Number.isNaN(Date.parse(t.created_at)))).toBe(true);
    revokeToken(file, 'ops');
    expect(listTokens(file).map((t) => t.name)).toEqual(['sb-1']);
    expect(statSync(file).mode & 0o777).toBe(0o600);
  });

  it('refuses a duplicate name, an unknown revoke and bad input, each with a reason code', () => {
    createToken(file, { name: 'ops', role: 'admin', systems: '*' });
    const codeOf = (fn: () => unknown): string | undefined => {
      try {
        fn();
      } catch (err) {
        return err instanceof TokenFileError ? err.code : 'other';
      }
      return undefined;
    };
    expect(codeOf(() => createToken(file, { name: 'ops', role: 'reader', systems: '*' }))).toBe(
      'duplicate_name',
    );
    expect(codeOf(() => revokeToken(file, 'nobody'))).toBe('unknown_name');
    expect(codeOf(() => createToken(file, { name: 'a b', role: 'reader', systems: '*' }))).toBe(
      'invalid_input',
    );
    expect(
      codeOf(() => createToken(file, { name: 'x', role: 'reader', systems: ['bad.system'] })),
    ).toBe('invalid_input');
    expect(listTokens(file).map((t) => t.name)).toEqual(['ops']);
  });

  it('a missing file holds no token; a corrupt one is an error', () => {
    expect(readTokenFile(file)).toEqual([]);
    createToken(file, { name: 'ops', role: 'admin', systems: '*' });
    writeFileSync(file, '{"version":1,"tokens":[{"name":"x"}]}');
    expect(() => readTokenFile(file)).toThrow(TokenFileError);
  });
});

/** A loopback port nothing listens on. */
async function closedPort(): Promise<number> {
  const server = createServer();
  await new Promise<void>((resolve) => server.listen(0, '127.0.0.1', resolve));
  const { port } = server.address() as AddressInfo;
  await new Promise((resolve) => server.close(resolve));
  return port;
}

describe('token registry', () => {
  it('keeps the last good version while the file is invalid, and reads it again once fixed', () => {
    let now = 0;
    const warnings: string[] = [];
    const log = pino({ level: 'warn' }, { write: (line: string) => void warnings.push(line) });
    const { token } = createToken(file, { name: 'ops', role: 'admin', systems: '*' });
    const registry = new TokenRegistry(file, log, () => now);
    expect(registry.findByHash(hashToken(token))?.name).toBe('ops');
    const good = readFileSync(file, 'utf8');
    writeFileSync(file, '{ half a file');
    now += 1500;
    expect(registry.findByHash(hashToken(token))?.name).toBe('ops');
    expect(warnings).toHaveLength(1);
    expect(warnings.join()).not.toContain(token);
    now += 1500;
    registry.findByHash('x');
    expect(warnings).toHaveLength(1); // once per bad version
    writeFileSync(file, good.replace('"ops"', '"ops2"'));
    now += 1500;
    expect(registry.findByName('ops2')).toBeDefined();
    expect(registry.findByName('ops')).toBeUndefined();
  });

  it('five token create commands at once keep all five tokens', async () => {
    const env = {
      AKOSHA_AUTH_TOKENS_FILE: file,
      AKOSHA_LOG_LEVEL: 'silent',
      AKOSHA_NATS_URL: `nats://127.0.0.1:${await closedPort()}`,
    };
    const names = ['c1', 'c2', 'c3', 'c4', 'c5'];
    const runs = await Promise.all(
      names.map((name) => runAkosha(['token', 'create', '--name', name, '--role', 'reader'], env)),
    );
    expect(runs.map((r) => r.code)).toEqual(names.map(() => 0));
    expect(
      listTokens(file)
        .map((t) => t.name)
        .sort(),
    ).toEqual(names);
    const auth = createAuthenticator(authConfig(file), silent);
    for (const run of runs) {
      const token = run.stdout.trim().split('\n').at(-1)!;
      expect(
        await auth.authenticate({ remoteAddress: '192.0.2.10', authorization: `Bearer ${token}` }),
      ).toMatchObject({ ok: true });
    }
  }, 120_000);

  it('a running authenticator accepts a token created by the CLI in another process, and refuses it once revoked', async () => {
    const seed = createToken(file, { name: 'seed', role: 'reader', systems: '*' });
    const auth = createAuthenticator(authConfig(file), silent);
    const remoteAddress = '192.0.2.10';
    expect(
      await auth.authenticate({ remoteAddress, authorization: `Bearer ${seed.token}` }),
    ).toMatchObject({ ok: true });
    const env = {
      AKOSHA_AUTH_TOKENS_FILE: file,
      AKOSHA_LOG_LEVEL: 'silent',
      // the commands' audit events go nowhere: never to a shared server on 4222
      AKOSHA_NATS_URL: `nats://127.0.0.1:${await closedPort()}`,
    };
    const created = await runAkosha(
      ['token', 'create', '--name', 'sb-7', '--role', 'writer', '--system', 'alpha'],
      env,
    );
    expect(created.code).toBe(0);
    const lines = created.stdout.trim().split('\n');
    const token = lines[lines.length - 1]!;
    expect(token.startsWith(TOKEN_PREFIX)).toBe(true);
    expect(lines.slice(0, -1).join('\n')).toContain(file);
    expect(lines.slice(0, -1).join('\n')).not.toContain(token);
    const outcome = await waitFor(
      () => auth.authenticate({ remoteAddress, authorization: `Bearer ${token}` }),
      { until: (o) => o.ok, what: 'the new token accepted', timeoutMs: 10_000 },
    );
    expect(outcome).toEqual({
      ok: true,
      principal: { name: 'sb-7', role: 'writer', systems: ['alpha'], via: 'token' },
    });

    const listed = await runAkosha(['token', 'list'], env);
    expect(listed.stdout).toMatch(/sb-7\twriter\talpha\t/);
    expect(listed.stdout).not.toContain(hashToken(token));

    const revoked = await runAkosha(['token', 'revoke', 'sb-7'], env);
    expect(revoked.code).toBe(0);
    await waitFor(() => auth.authenticate({ remoteAddress, authorization: `Bearer ${token}` }), {
      until: (o) => !o.ok && o.reason === 'invalid',
      what: 'the revoked token refused',
      timeoutMs: 10_000,
    });
    const unknown = await runAkosha(['token', 'revoke', 'sb-7'], env);
    expect(unknown.code).not.toBe(0);
    expect(unknown.stderr).toContain('no token is named "sb-7"');
  }, 120_000);
});
