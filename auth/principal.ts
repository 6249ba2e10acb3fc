/** Access roles, each including every one before it. */
export const ACCESS_ROLES = ['reader', 'writer', 'operator', 'admin'] as const;
export type AccessRole = (typeof ACCESS_ROLES)[number];

/** How a principal was established: shown in the audit trail. */
export type AuthMethod = 'token' | 'jwt' | 'cert' | 'anonymous' | 'loopback' | 'auth-off' | 'cli';

/** Who is calling: a name, one role, and the systems it may see and write (`*`: all). */
export interface Principal {
  name: string;
  role: AccessRole;
  systems: '*' | readonly string[];
  via: AuthMethod;
}

export function hasRole(principal: Principal, need: AccessRole): boolean {
  return ACCESS_ROLES.indexOf(principal.role) >= ACCESS_ROLES.indexOf(need);
}

export function canAccessSystem(principal: Principal, systemId: string): boolean {
  return principal.systems === '*' || principal.systems.includes(systemId);
}

/** What a request offers to prove who it is. */
export interface Credentials {
  /** the `Authorization` header as sent */
  authorization?: string | undefined;
  remoteAddress: string;
  /** CN of a verified client certificate (mutual TLS) */
  peerCertCN?: string | undefined;
}

export type AuthFailure = 'missing' | 'malformed' | 'invalid' | 'expired' | 'unknown';

export type AuthOutcome = { ok: true; principal: Principal } | { ok: false; reason: AuthFailure };

/** Turns credentials into a principal: static tokens, JWTs, client certificates, anonymous networks. */
export interface Authenticator {
  /** false when nothing is configured: loopback callers are trusted, and only they can reach us */
  readonly enforcing: boolean;
  authenticate(credentials: Credentials): Promise<AuthOutcome>;
  close(): void;
}
