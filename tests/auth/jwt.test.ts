import { mkdtempSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import pino from 'pino';
import { createAuthenticator } from '../../auth/authenticator';
import { createJwtVerifier } from '../../auth/jwt';
import type { Authenticator } from '../../auth/principal';
import type { AuthConfig } from '../../infra/config';
import { authConfig } from '../helpers/auth';
import { loadJose, type Jose } from '../helpers/jose';
import { startJwks } from '../helpers/jwks';
import { waitFor } from '../helpers/wait-for';

const silent = pino({ level: 'silent' });
const SECRET = 'a-test-secret-that-is-long-enough-for-hs256!';
const remoteAddress = '198.51.100.4';
let jose: Jose;
let dir: string;

beforeAll(async () => {
  jose = await loadJose();
  dir = mkdtempSync(join(tmpdir(), 'akosha-jwt-'));
});
afterAll(() => rmSync(dir, { recursive: true, force: true }));

const jwtSettings = (over: Partial<AuthConfig['jwt']>): AuthConfig['jwt'] => ({
  secret: '',
  jwksUrl: '',
  issuer: '',
  audience: '',
  leewaySeconds: 30,
  ...over,
});
const authWith = (jwt: Partial<AuthConfig['jwt']>): Authenticator =>
  createAuthenticator(authConfig(join(dir, 'none.json'), { jwt: jwtSettings(jwt) }), silent);
const bearer = (token: string) => ({ remoteAddress, authorization: `Bearer ${token}` });
const nowS = () => Math.floor(Date.now() / 1000);

function hs256(claims: Record<string, unknown>, opts: { secret?: string; exp?: number } = {}) {
  const jwt = new jose.SignJWT(claims).setProtectedHeader({ alg: 'HS256' }).setSubject('alice');
  jwt.setExpirationTime(opts.exp ?? nowS() + 600);
  return jwt.sign(new TextEncoder().encode(opts.secret ?? SECRET));
}

describe('HS256', () => {
  const auth = () => authWith({ secret: SECRET, issuer: 'https://idp.test', audience: 'akosha' });
  const good = {
    akosha_role: 'writer',
    akosha_systems: ['alpha'],
    iss: 'https://idp.test',
    aud: 'akosha',
  };

  it('a good token gives its principal', async () => {
    const a = auth();
    expect(a.enforcing).toBe(true);
    expect(await a.authenticate(bearer(await hs256(good)))).toEqual({
      ok: true,
      principal: { name: 'alice', role: 'writer', systems: ['alpha'], via: 'jwt' },
    });
    const all = await hs256({ ...good, akosha_systems: '*' });
    expect(await a.authenticate(bearer(all))).toMatchObject({ principal: { systems: '*' } });
  });

  it('refuses a bad signature, wrong issuer or audience, and missing claims', async () => {
    const a = auth();
    const refused = async (token: Promise<string>) => a.authenticate(bearer(await token));
    const invalid = { ok: false, reason: 'invalid' };
    expect(
      await refused(hs256(good, { secret: 'another-secret-another-secret-another!' })),
    ).toEqual(invalid);
    expect(await refused(hs256({ ...good, iss: 'https://evil.test' }))).toEqual(invalid);
    expect(await refused(hs256({ ...good, aud: 'other' }))).toEqual(invalid);
    expect(await refused(hs256({ ...good, akosha_role: undefined }))).toEqual(invalid);
    expect(await refused(hs256({ ...good, akosha_role: 'root' }))).toEqual(invalid);
    expect(await refused(hs256({ ...good, akosha_systems: ['bad.id'] }))).toEqual(invalid);
    const noSub = new jose.SignJWT(good)
      .setProtectedHeader({ alg: 'HS256' })
      .setExpirationTime('10m')
      .sign(new TextEncoder().encode(SECRET));
    expect(await refused(noSub)).toEqual(invalid);
    const noExp = new jose.SignJWT(good)
      .setProtectedHeader({ alg: 'HS256' })
      .setSubject('alice')
      .sign(new TextEncoder().encode(SECRET));
    expect(await refused(noExp)).toEqual(invalid);
  });

  it('a token without akosha_systems sees no system', async () => {
    const { akosha_systems: _, ...noSystems } = good;
    expect(await auth().authenticate(bearer(await hs256(noSystems)))).toMatchObject({
      ok: true,
      principal: { systems: [] },
    });
  });

  it('expired is expired, beyond the leeway only; nbf in the future is refused', async () => {
    const a = auth();
    expect(await a.authenticate(bearer(await hs256(good, { exp: nowS() - 120 })))).toEqual({
      ok: false,
      reason: 'expired',
    });
    // 10 s late, 30 s leeway: still good
    expect(await a.authenticate(bearer(await hs256(good, { exp: nowS() - 10 })))).toMatchObject({
      ok: true,
    });
    expect(await a.authenticate(bearer(await hs256({ ...good, nbf: nowS() + 300 })))).toEqual({
      ok: false,
      reason: 'invalid',
    });
    expect(await a.authenticate(bearer(await hs256({ ...good, nbf: nowS() + 10 })))).toMatchObject({
      ok: true,
    });
  });

  it('refuses alg none and an RS256 token when only a secret is set', async () => {
    const a = auth();
    const unsecured = new jose.UnsecuredJWT({ ...good, sub: 'alice' })
      .setExpirationTime('10m')
      .encode();
    expect(await a.authenticate(bearer(unsecured))).toEqual({ ok: false, reason: 'invalid' });
    const { privateKey } = await jose.generateKeyPair('RS256');
    const rs = await new jose.SignJWT(good)
      .setProtectedHeader({ alg: 'RS256' })
      .setSubject('alice')
      .setExpirationTime('10m')
      .sign(privateKey);
    expect(await a.authenticate(bearer(rs))).toEqual({ ok: false, reason: 'invalid' });
  });

  it('malformed headers and garbage tokens', async () => {
    const a = auth();
    expect(await a.authenticate({ remoteAddress, authorization: 'Basic dXNlcjpwYXNz' })).toEqual({
      ok: false,
      reason: 'malformed',
    });
    expect(await a.authenticate({ remoteAddress, authorization: 'Bearer' })).toEqual({
      ok: false,
      reason: 'malformed',
    });
    expect(await a.authenticate(bearer('a.b.c'))).toEqual({ ok: false, reason: 'invalid' });
    expect(await a.authenticate(bearer('akosha_unknown'))).toEqual({
      ok: false,
      reason: 'invalid',
    });
    expect(await a.authenticate({ remoteAddress })).toEqual({ ok: false, reason: 'missing' });
  });
});

const claims = { akosha_role: 'reader', akosha_systems: '*' };
async function keyPair(alg: 'RS256' | 'ES256', kid: string) {
  const { privateKey, publicKey } = await jose.generateKeyPair(alg, { extractable: true });
  const jwk = { ...(await jose.exportJWK(publicKey)), kid, alg, use: 'sig' };
  const sign = (sub: string) =>
    new jose.SignJWT(claims)
      .setProtectedHeader({ alg, kid })
      .setSubject(sub)
      .setExpirationTime('10m')
      .sign(privateKey);
  return { jwk, sign };
}

/** The authenticator's verifier with a 3 s key set cooldown (30 s in service), to see rotation. */
function keySetVerifier(jwksUrl: string): Pick<Authenticator, 'authenticate'> {
  const verifier = createJwtVerifier(jwtSettings({ jwksUrl }), silent, {
    cooldownMs: 3000,
    maxAgeMs: 600_000,
  })!;
  return { authenticate: (c) => verifier.verify(c.authorization!.replace(/^Bearer /, '')) };
}

describe('RS256 and ES256 through a JWKS', () => {
  it('the authenticator accepts a key set token', async () => {
    const jwks = await startJwks();
    try {
      const { jwk, sign } = await keyPair('RS256', 'only');
      jwks.keys.push(jwk);
      expect(await authWith({ jwksUrl: jwks.url }).authenticate(bearer(await sign('svc')))).toEqual(
        {
          ok: true,
          principal: { name: 'svc', role: 'reader', systems: '*', via: 'jwt' },
        },
      );
    } finally {
      await jwks.close();
    }
  });

  it.each(['RS256', 'ES256'] as const)(
    '%s: verifies, and fetches a rotated key by its new kid',
    async (alg) => {
      const jwks = await startJwks();
      try {
        // both pairs made first: an RSA pair can take longer than the cooldown on a busy machine
        const first = await keyPair(alg, `${alg}-1`);
        const second = await keyPair(alg, `${alg}-2`);
        jwks.keys.push(first.jwk);
        const a = keySetVerifier(jwks.url);
        expect(await a.authenticate(bearer(await first.sign('svc-a')))).toEqual({
          ok: true,
          principal: { name: 'svc-a', role: 'reader', systems: '*', via: 'jwt' },
        });
        const fetched = jwks.hits();
        // cached: no new fetch for a known kid
        expect(await a.authenticate(bearer(await first.sign('svc-a')))).toMatchObject({ ok: true });
        expect(jwks.hits()).toBe(fetched);

        jwks.keys.splice(0, jwks.keys.length, second.jwk);
        const rotated = await second.sign('svc-b');
        // an unknown kid makes the key set fetched again, once the cooldown since the last fetch is over
        expect(await a.authenticate(bearer(rotated))).toMatchObject({ ok: false });
        await waitFor(() => a.authenticate(bearer(rotated)), {
          until: (o) => o.ok && o.principal.name === 'svc-b',
          what: 'the rotated key fetched',
          timeoutMs: 10_000,
          intervalMs: 200,
        });
        expect(jwks.hits()).toBeGreaterThan(fetched);
        expect(await a.authenticate(bearer(await first.sign('svc-a')))).toMatchObject({
          ok: false,
        });

        // a key the set never held
        const stranger = await keyPair(alg, `${alg}-2`);
        expect(await a.authenticate(bearer(await stranger.sign('mallory')))).toEqual({
          ok: false,
          reason: 'invalid',
        });
        // HS256 is not accepted when only a key set is configured
        expect(await a.authenticate(bearer(await hs256({ akosha_role: 'admin' })))).toEqual({
          ok: false,
          reason: 'invalid',
        });
      } finally {
        await jwks.close();
      }
    },
  );

  it('a key set that cannot be fetched refuses, and says so in the log without the token', async () => {
    const lines: string[] = [];
    const log = pino({ level: 'warn' }, { write: (l: string) => void lines.push(l) });
    const verifier = createJwtVerifier(
      jwtSettings({ jwksUrl: 'http://127.0.0.1:9/jwks.json' }),
      log,
    )!;
    const { sign } = await keyPair('ES256', 'k');
    const token = await sign('svc');
    expect(await verifier.verify(token)).toEqual({ ok: false, reason: 'invalid' });
    expect(lines.join('')).toContain('JWT key set unavailable');
    expect(lines.join('')).not.toContain(token);
  });
});
