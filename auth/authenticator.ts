import { AddressMatcher, type AuthConfig, isLoopbackAddress, type Logger } from '../infra';
import { createJwtVerifier, jwtConfigured, looksLikeJwt } from './jwt';
import type { AuthOutcome, Authenticator, Credentials, Principal } from './principal';
import { TokenRegistry } from './token-registry';
import { hashToken, TOKEN_PREFIX } from './token-store';

export const AUTH_OFF_PRINCIPAL: Principal = {
  name: 'auth-off',
  role: 'admin',
  systems: '*',
  via: 'auth-off',
};
export const LOOPBACK_PRINCIPAL: Principal = {
  name: 'loopback',
  role: 'admin',
  systems: '*',
  via: 'loopback',
};

type AuthLog = Pick<Logger, 'warn' | 'info'>;

/**
 * Static tokens first (they carry a prefix), then JWTs; without a credential, a client
 * certificate that names a token's principal, then the anonymous networks.
 */
export function createAuthenticator(config: AuthConfig, log: AuthLog): Authenticator {
  if (config.mode === 'off') return authOff();
  const tokens = new TokenRegistry(config.tokensFile, log);
  const jwt = createJwtVerifier(config.jwt, log);
  const anonymous = new AddressMatcher(config.anonymousCidrs);
  const anonymousRole = config.anonymousRole;

  const enforcing = (): boolean =>
    anonymousRole !== null || jwtConfigured(config.jwt) || tokens.size > 0;

  async function withCredential(value: string): Promise<AuthOutcome> {
    if (value.startsWith(TOKEN_PREFIX)) {
      const entry = tokens.findByHash(hashToken(value));
      if (!entry) return { ok: false, reason: 'invalid' };
      return { ok: true, principal: { ...principalOfEntry(entry), via: 'token' } };
    }
    if (jwt && looksLikeJwt(value)) return jwt.verify(value);
    return { ok: false, reason: 'invalid' };
  }

  function withoutCredential(credentials: Credentials): AuthOutcome {
    if (credentials.peerCertCN) {
      const entry = tokens.findByName(credentials.peerCertCN);
      if (entry) return { ok: true, principal: { ...principalOfEntry(entry), via: 'cert' } };
    }
    if (anonymousRole !== null && anonymous.matches(credentials.remoteAddress)) {
      return {
        ok: true,
        principal: { name: 'anonymous', role: anonymousRole, systems: '*', via: 'anonymous' },
      };
    }
    return { ok: false, reason: 'missing' };
  }

  return {
    get enforcing() {
      return enforcing();
    },
    async authenticate(credentials) {
      if (!enforcing()) {
        return isLoopbackAddress(credentials.remoteAddress)
          ? { ok: true, principal: LOOPBACK_PRINCIPAL }
          : { ok: false, reason: 'missing' };
      }
      if (credentials.authorization === undefined) return withoutCredential(credentials);
      const bearer = parseBearer(credentials.authorization);
      if (bearer === null) return { ok: false, reason: 'malformed' };
      return withCredential(bearer);
    },
    close() {},
  };
}

function authOff(): Authenticator {
  return {
    enforcing: false,
    authenticate: () => Promise.resolve({ ok: true, principal: AUTH_OFF_PRINCIPAL }),
    close() {},
  };
}

function principalOfEntry(entry: {
  name: string;
  role: Principal['role'];
  systems: '*' | string[];
}): Omit<Principal, 'via'> {
  return { name: entry.name, role: entry.role, systems: entry.systems };
}

/** `Bearer <token68>` (scheme case-insensitive, RFC 7235); anything else is malformed. */
export function parseBearer(header: string): string | null {
  const match = /^Bearer +([A-Za-z0-9._~+/-]+=*) *$/i.exec(header);
  return match?.[1] ?? null;
}
