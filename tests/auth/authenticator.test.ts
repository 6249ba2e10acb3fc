import { mkdtempSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import pino from 'pino';
import { createAuthenticator } from '../../auth/authenticator';
import { AddressMatcher, CidrError, isLoopbackAddress, isLoopbackHost } from '../../infra/cidr';
import { createToken } from '../../auth/token-store';
import { authConfig } from '../helpers/auth';
import { waitFor } from '../helpers/wait-for';

const silent = pino({ level: 'silent' });
let dir: string;
let file: string;
beforeEach(() => {
  dir = mkdtempSync(join(tmpdir(), 'akosha-authn-'));
  file = join(dir, 'tokens.json');
});
afterEach(() => rmSync(dir, { recursive: true, force: true }));

describe('anonymous networks', () => {
  const m = new AddressMatcher(['10.0.0.0/8', '192.168.1.7', 'fd00::/8', '2001:db8::1/128']);

  it('matches IPv4, IPv4-mapped IPv6 and IPv6 peers', () => {
    expect(m.matches('10.1.2.3')).toBe(true);
    expect(m.matches('::ffff:10.1.2.3')).toBe(true);
    expect(m.matches('::FFFF:10.255.0.1')).toBe(true);
    expect(m.matches('192.168.1.7')).toBe(true);
    expect(m.matches('::ffff:192.168.1.7')).toBe(true);
    expect(m.matches('192.168.1.8')).toBe(false);
    expect(m.matches('11.0.0.1')).toBe(false);
    expect(m.matches('::ffff:11.0.0.1')).toBe(false);
    expect(m.matches('fd12:3456::1')).toBe(true);
    expect(m.matches('fe80::1%eth0')).toBe(false);
    expect(m.matches('2001:db8::1')).toBe(true);
    expect(m.matches('2001:db8::2')).toBe(false);
    expect(m.matches('not-an-address')).toBe(false);
  });

  it('rejects entries that are not networks', () => {
    for (const bad of [
      '10.0.0.0/33',
      'fd00::/129',
      'example.com',
      '10.0.0.0/8/1',
      '10.0.0.0/x',
      '',
    ])
      expect(() => new AddressMatcher([bad])).toThrow(CidrError);
  });

  it('knows loopback addresses and hosts', () => {
    for (const a of ['127.0.0.1', '127.5.6.7', '::1', '::ffff:127.0.0.1'])
      expect(isLoopbackAddress(a)).toBe(true);
    for (const a of ['0:0:0:0:0:0:0:1', '::ffff:127.255.255.254', '127.0.0.1%lo'])
      expect(isLoopbackAddress(a)).toBe(true);
    for (const a of ['10.0.0.1', '::', '0.0.0.0', '::ffff:10.0.0.1', '128.0.0.1', '::2'])
      expect(isLoopbackAddress(a)).toBe(false);
    for (const a of ['127.0.0.01', '127.1', 'localhost', '', '127.0.0.1.5'])
      expect(isLoopbackAddress(a)).toBe(false);
    for (const h of ['localhost', '127.0.0.1', '[::1]', '::1'])
      expect(isLoopbackHost(h)).toBe(true);
    for (const h of ['0.0.0.0', '::', 'akosha.example.com', '10.255.255.1'])
      expect(isLoopbackHost(h)).toBe(false);
  });
});

describe('authenticator', () => {
  it('with nothing configured trusts loopback callers only', async () => {
    const auth = createAuthenticator(authConfig(file), silent);
    expect(auth.enforcing).toBe(false);
    for (const remoteAddress of ['127.0.0.1', '::1', '::ffff:127.0.0.1'])
      expect(await auth.authenticate({ remoteAddress })).toEqual({
        ok: true,
        principal: { name: 'loopback', role: 'admin', systems: '*', via: 'loopback' },
      });
    expect(await auth.authenticate({ remoteAddress: '10.0.0.5' })).toEqual({
      ok: false,
      reason: 'missing',
    });
  });

  it('enforces as soon as a token exists, loopback included', async () => {
    const auth = createAuthenticator(authConfig(file), silent);
    expect(auth.enforcing).toBe(false);
    const { token } = createToken(file, { name: 'ops', role: 'operator', systems: ['a'] });
    // the running one sees the new file within a second or so
    await waitFor(() => auth.enforcing, { what: 'enforcing', timeoutMs: 10_000 });
    expect(
      await createAuthenticator(authConfig(file), silent).authenticate({
        remoteAddress: '127.0.0.1',
      }),
    ).toEqual({ ok: false, reason: 'missing' });
    const outcome = await createAuthenticator(authConfig(file), silent).authenticate({
      remoteAddress: '127.0.0.1',
      authorization: `bearer ${token}`,
    });
    expect(outcome).toEqual({
      ok: true,
      principal: { name: 'ops', role: 'operator', systems: ['a'], via: 'token' },
    });
  });

  it('enforces with a JWT setting alone, loopback included', async () => {
    const jwt = { ...authConfig(file).jwt, secret: 'a-secret', issuer: 'idp', audience: 'akosha' };
    const auth = createAuthenticator(authConfig(file, { jwt }), silent);
    expect(auth.enforcing).toBe(true);
    for (const remoteAddress of ['127.0.0.1', '::1'])
      expect(await auth.authenticate({ remoteAddress })).toEqual({ ok: false, reason: 'missing' });
  });

  it('grants the anonymous role to listed networks without credentials, and only to them', async () => {
    const auth = createAuthenticator(
      authConfig(file, { anonymousRole: 'writer', anonymousCidrs: ['10.0.0.0/8', 'fd00::/8'] }),
      silent,
    );
    expect(auth.enforcing).toBe(true);
    const anonymous = {
      ok: true,
      principal: { name: 'anonymous', role: 'writer', systems: '*', via: 'anonymous' },
    };
    expect(await auth.authenticate({ remoteAddress: '::ffff:10.2.3.4' })).toEqual(anonymous);
    expect(await auth.authenticate({ remoteAddress: 'fd00::7' })).toEqual(anonymous);
    expect(await auth.authenticate({ remoteAddress: '127.0.0.1' })).toEqual({
      ok: false,
      reason: 'missing',
    });
    // a bad credential from a listed network is refused, not downgraded to anonymous
    expect(
      await auth.authenticate({ remoteAddress: '10.2.3.4', authorization: 'Bearer akosha_nope' }),
    ).toEqual({ ok: false, reason: 'invalid' });
  });

  it('a client certificate CN names a principal of the token file', async () => {
    createToken(file, { name: 'sb-host-1', role: 'writer', systems: ['host-1'] });
    const auth = createAuthenticator(authConfig(file), silent);
    expect(await auth.authenticate({ remoteAddress: '10.0.0.9', peerCertCN: 'sb-host-1' })).toEqual(
      {
        ok: true,
        principal: { name: 'sb-host-1', role: 'writer', systems: ['host-1'], via: 'cert' },
      },
    );
    expect(await auth.authenticate({ remoteAddress: '10.0.0.9', peerCertCN: 'stranger' })).toEqual({
      ok: false,
      reason: 'missing',
    });
  });

  it('AKOSHA_AUTH=off makes every caller admin', async () => {
    createToken(file, { name: 'ops', role: 'reader', systems: '*' });
    const auth = createAuthenticator(authConfig(file, { mode: 'off' }), silent);
    expect(auth.enforcing).toBe(false);
    expect(await auth.authenticate({ remoteAddress: '203.0.113.1' })).toEqual({
      ok: true,
      principal: { name: 'auth-off', role: 'admin', systems: '*', via: 'auth-off' },
    });
  });
});
