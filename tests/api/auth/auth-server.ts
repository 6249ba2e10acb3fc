import { mkdtempSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import type { Pipeline } from '../../../app/pipeline';
import { ACCESS_ROLES, type AccessRole } from '../../../auth/principal';
import { createToken } from '../../../auth/token-store';
import { loadJose } from '../../helpers/jose';
import { startJwks } from '../../helpers/jwks';
import { startTestNatsWithStreams, type TestNats } from '../../helpers/nats';
import { startTestPipeline, testConfig } from '../../helpers/pipeline';

export const JWT_SECRET = 'matrix-test-secret-0123456789abcdef';
const ISSUER = 'akosha-tests';
const AUDIENCE = 'akosha';

/** Who a test calls as: a name, a role and the systems it may see. */
export interface TestIdentity {
  name: string;
  role: AccessRole;
  systems: '*' | string[];
}

/** A running pipeline with authentication on: static tokens and HS256 JWTs. */
export interface AuthServer {
  nats: TestNats;
  pipeline: Pipeline;
  base: string;
  tokensFile: string;
  /** a static token for this identity, created in the token file */
  token(identity: TestIdentity): string;
  /** an HS256 JWT for this identity, valid for ten minutes */
  jwt(identity: TestIdentity): Promise<string>;
  close(): Promise<void>;
}

export const roleIdentity = (role: AccessRole): TestIdentity => ({
  name: `all-${role}`,
  role,
  systems: '*',
});

/** `identities` get their tokens before the start, with one per role over every system. */
export async function startAuthServer(
  env: Record<string, string> = {},
  identities: TestIdentity[] = [],
): Promise<AuthServer> {
  const dir = mkdtempSync(join(tmpdir(), 'akosha-auth-'));
  const tokensFile = join(dir, 'tokens.json');
  const tokens = new Map<string, string>();
  const token = (identity: TestIdentity): string => {
    const known = tokens.get(identity.name);
    if (known) return known;
    const created = createToken(tokensFile, identity).token;
    tokens.set(identity.name, created);
    return created;
  };
  // a token exists before the start, so the server enforces from its first request
  for (const role of ACCESS_ROLES) token(roleIdentity(role));
  for (const identity of identities) token(identity);
  const nats = await startTestNatsWithStreams();
  const config = testConfig(nats.url, {
    AKOSHA_AUTH_TOKENS_FILE: tokensFile,
    AKOSHA_AUTH_JWT_SECRET: JWT_SECRET,
    AKOSHA_AUTH_JWT_ISSUER: ISSUER,
    AKOSHA_AUTH_JWT_AUDIENCE: AUDIENCE,
    ...env,
  });
  const pipeline = await startTestPipeline(config);
  return {
    nats,
    pipeline,
    base: pipeline.httpAddress!,
    tokensFile,
    token,
    jwt: (identity) => signJwt(identity),
    async close() {
      await pipeline.close();
      await nats.stop();
      rmSync(dir, { recursive: true, force: true });
    },
  };
}

/** An RS256 key pair served by a local JWKS: the server is given `url` as AKOSHA_AUTH_JWKS_URL. */
export interface Rs256Issuer {
  url: string;
  /** an RS256 JWT for this identity, valid for ten minutes, signed by the served key */
  sign(identity: TestIdentity): Promise<string>;
  /** the same, signed by a key the set does not hold (same kid) */
  forge(identity: TestIdentity): Promise<string>;
  close(): Promise<void>;
}

export async function startRs256Issuer(): Promise<Rs256Issuer> {
  const jose = await loadJose();
  const kid = 'matrix-rs256';
  const served = await jose.generateKeyPair('RS256', { extractable: true });
  const stranger = await jose.generateKeyPair('RS256');
  const jwks = await startJwks();
  jwks.keys.push({ ...(await jose.exportJWK(served.publicKey)), kid, alg: 'RS256', use: 'sig' });
  const signWith =
    (key: typeof served.privateKey) =>
    (identity: TestIdentity): Promise<string> =>
      new jose.SignJWT({ akosha_role: identity.role, akosha_systems: identity.systems })
        .setProtectedHeader({ alg: 'RS256', kid })
        .setSubject(identity.name)
        .setIssuer(ISSUER)
        .setAudience(AUDIENCE)
        .setIssuedAt()
        .setExpirationTime('10m')
        .sign(key);
  return {
    url: jwks.url,
    sign: signWith(served.privateKey),
    forge: signWith(stranger.privateKey),
    close: () => jwks.close(),
  };
}

export async function signJwt(identity: TestIdentity, secret = JWT_SECRET): Promise<string> {
  const { SignJWT } = await loadJose();
  return new SignJWT({ akosha_role: identity.role, akosha_systems: identity.systems })
    .setProtectedHeader({ alg: 'HS256' })
    .setSubject(identity.name)
    .setIssuer(ISSUER)
    .setAudience(AUDIENCE)
    .setIssuedAt()
    .setExpirationTime('10m')
    .sign(new TextEncoder().encode(secret));
}

/** A request with `Authorization: Bearer <credential>` (none when undefined); JSON bodies. */
export function call(
  base: string,
  method: string,
  path: string,
  credential: string | undefined,
  body?: unknown,
): Promise<Response> {
  const headers: Record<string, string> = {};
  if (credential !== undefined) headers.authorization = `Bearer ${credential}`;
  if (body !== undefined) headers['content-type'] = 'application/json';
  return fetch(`${base}${path}`, {
    method,
    headers,
    ...(body !== undefined && { body: JSON.stringify(body) }),
  });
}
