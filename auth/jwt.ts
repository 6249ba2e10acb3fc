import type { JWTPayload, JWTVerifyGetKey, JWTVerifyOptions } from 'jose' with {
  'resolution-mode': 'import',
};
import { z } from 'zod';
import type { AuthConfig, Logger } from '../infra';
import { SystemId } from '../schemas';
import { ACCESS_ROLES, type AuthFailure, type Principal } from './principal';

const HMAC_ALGORITHMS = ['HS256'];
const KEY_SET_ALGORITHMS = ['RS256', 'ES256'];
/**
 * Keys are fetched again at most this often when a token names an unknown `kid`: a rotated key
 * is accepted within this long, and forged kids cannot make us hammer the identity provider.
 */
const JWKS_COOLDOWN_MS = 30_000;
/** A key set younger than this is used without asking the server again. */
const JWKS_MAX_AGE_MS = 10 * 60_000;
const JWKS_TIMEOUT_MS = 5_000;

/**
 * The claims a token must carry. `akosha_systems` absent means no system at all: a token only
 * sees every system when it says `"*"` explicitly.
 */
type Jose = typeof import('jose', { with: { 'resolution-mode': 'import' } });
/** jose ships ES modules only: loaded with import() from this CommonJS build, once */
let jose: Promise<Jose> | undefined;
const loadJose = (): Promise<Jose> => (jose ??= import('jose'));

const AkoshaClaims = z.object({
  sub: z.string().min(1).max(200),
  akosha_role: z.enum(ACCESS_ROLES),
  akosha_systems: z.union([z.literal('*'), z.array(SystemId).max(10_000)]).default([]),
});

export type JwtOutcome = { ok: true; principal: Principal } | { ok: false; reason: AuthFailure };

export interface JwtVerifier {
  verify(token: string): Promise<JwtOutcome>;
}

export function jwtConfigured(jwt: AuthConfig['jwt']): boolean {
  return jwt.secret !== '' || jwt.jwksUrl !== '';
}

/**
 * A JWT setting needs an issuer and an audience to check: a secret or key set alone would take
 * any token it signed, including one minted for another service.
 */
export function jwtSettingsProblem(jwt: AuthConfig['jwt']): string | null {
  if (!jwtConfigured(jwt)) return null;
  const missing = [
    jwt.issuer === '' && 'AKOSHA_AUTH_JWT_ISSUER',
    jwt.audience === '' && 'AKOSHA_AUTH_JWT_AUDIENCE',
  ].filter((name): name is string => name !== false);
  if (missing.length === 0) return null;
  const setting = jwt.secret !== '' ? 'AKOSHA_AUTH_JWT_SECRET' : 'AKOSHA_AUTH_JWKS_URL';
  return `${setting} needs ${missing.join(' and ')}: the issuer and audience every token must name`;
}

/** A compact JWS: three base64url parts. */
export function looksLikeJwt(token: string): boolean {
  return /^[A-Za-z0-9_-]+\.[A-Za-z0-9_-]+\.[A-Za-z0-9_-]*$/.test(token);
}

/** null when neither a secret nor a key set URL is set. */
export function createJwtVerifier(
  jwt: AuthConfig['jwt'],
  log: Pick<Logger, 'warn'>,
  keyCache: { cooldownMs: number; maxAgeMs: number } = {
    cooldownMs: JWKS_COOLDOWN_MS,
    maxAgeMs: JWKS_MAX_AGE_MS,
  },
): JwtVerifier | null {
  if (!jwtConfigured(jwt)) return null;
  const secret = jwt.secret === '' ? null : new TextEncoder().encode(jwt.secret);
  let keySet: JWTVerifyGetKey | null = null;
  const keySetOf = (lib: Jose): JWTVerifyGetKey =>
    (keySet ??= lib.createRemoteJWKSet(new URL(jwt.jwksUrl), {
      cacheMaxAge: keyCache.maxAgeMs,
      cooldownDuration: keyCache.cooldownMs,
      timeoutDuration: JWKS_TIMEOUT_MS,
    }));
  const options: JWTVerifyOptions = {
    clockTolerance: jwt.leewaySeconds,
    requiredClaims: ['sub', 'exp'],
    ...(jwt.issuer && { issuer: jwt.issuer }),
    ...(jwt.audience && { audience: jwt.audience }),
  };

  return {
    async verify(token) {
      const lib = await loadJose();
      let alg: string | undefined;
      try {
        alg = lib.decodeProtectedHeader(token).alg;
      } catch {
        return { ok: false, reason: 'invalid' };
      }
      try {
        let payload: JWTPayload;
        if (secret && alg !== undefined && HMAC_ALGORITHMS.includes(alg)) {
          ({ payload } = await lib.jwtVerify(token, secret, {
            ...options,
            algorithms: HMAC_ALGORITHMS,
          }));
        } else if (jwt.jwksUrl !== '' && alg !== undefined && KEY_SET_ALGORITHMS.includes(alg)) {
          ({ payload } = await lib.jwtVerify(token, keySetOf(lib), {
            ...options,
            algorithms: KEY_SET_ALGORITHMS,
          }));
        } else {
          return { ok: false, reason: 'invalid' };
        }
        return principalOf(payload);
      } catch (err) {
        return { ok: false, reason: failureOf(err, lib, log) };
      }
    },
  };
}

function principalOf(payload: JWTPayload): JwtOutcome {
  const claims = AkoshaClaims.safeParse(payload);
  if (!claims.success) return { ok: false, reason: 'invalid' };
  const { sub, akosha_role, akosha_systems } = claims.data;
  return {
    ok: true,
    principal: { name: sub, role: akosha_role, systems: akosha_systems, via: 'jwt' },
  };
}

function failureOf(err: unknown, lib: Jose, log: Pick<Logger, 'warn'>): AuthFailure {
  const { errors } = lib;
  if (err instanceof errors.JWTExpired) return 'expired';
  if (!(err instanceof errors.JOSEError) || err instanceof errors.JWKSTimeout)
    // the key set cannot be fetched: the caller cannot be told apart from a forger
    log.warn({ code: (err as { code?: string }).code ?? 'error' }, 'JWT key set unavailable');
  return 'invalid';
}
