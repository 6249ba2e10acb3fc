import { ConfigError, type AuthConfig } from '../infra/config';
import type { Logger } from '../infra/logger';
import { AddressMatcher, isLoopbackHost } from './cidr';
import { jwtConfigured } from './jwt';
import { readTokenFile } from './token-store';

/** Some way to authenticate exists: a token in the file, a JWT setting, or an anonymous role. */
export function authConfigured(auth: AuthConfig): boolean {
  return (
    auth.anonymousRole !== null ||
    jwtConfigured(auth.jwt) ||
    readTokenFile(auth.tokensFile).length > 0
  );
}

/**
 * Secure by default: a listener reachable from other machines needs some authentication, or an
 * explicit `AKOSHA_AUTH=off`. Also rejects unusable anonymous networks and token files before
 * anything starts.
 */
export function checkHttpExposure(
  http: { host: string },
  auth: AuthConfig,
  log: Pick<Logger, 'warn'>,
): void {
  if (auth.mode === 'off') {
    log.warn(
      { host: http.host },
      'AKOSHA_AUTH=off: every HTTP and MCP caller is admin; only run this behind an authenticating proxy',
    );
    return;
  }
  try {
    new AddressMatcher(auth.anonymousCidrs);
  } catch (err) {
    throw new ConfigError(`AKOSHA_AUTH_ANONYMOUS_CIDRS: ${(err as Error).message}`);
  }
  if (isLoopbackHost(http.host) || authConfigured(auth)) return;
  throw new ConfigError(
    `AKOSHA_HTTP_HOST=${http.host} is reachable from other machines, but no authentication is configured.\n` +
      '  Create a token first:   akosha token create --name ops --role admin\n' +
      '  (or set AKOSHA_AUTH_JWT_SECRET / AKOSHA_AUTH_JWKS_URL, or AKOSHA_AUTH_ANONYMOUS_ROLE with\n' +
      '  AKOSHA_AUTH_ANONYMOUS_CIDRS), or, behind an authenticating proxy, opt out with AKOSHA_AUTH=off.',
  );
}

/** Every host of a NATS URL list (`nats://a:4222,tls://b:4222`). */
function natsHosts(urls: string): string[] {
  return urls
    .split(',')
    .map((u) => u.trim())
    .filter((u) => u !== '')
    .map((u) => new URL(/^[a-z]+:\/\//i.test(u) ? u : `nats://${u}`).hostname);
}

/**
 * AKOSHA_START_NATS=auto starts a private nats-server only in place of a loopback one: a node that
 * cannot reach its cluster must fail, not ingest into a JetStream nobody else reads.
 */
export function refuseRemoteNatsFallback(url: string, cause: unknown): void {
  const remote = natsHosts(url).filter((host) => !isLoopbackHost(host));
  if (remote.length === 0) return;
  const reason = cause instanceof Error ? cause.message : String(cause);
  throw new Error(
    `no NATS server answers at ${remote.join(', ')} (${reason}). AKOSHA_START_NATS=auto starts ` +
      'a local nats-server only in place of a loopback AKOSHA_NATS_URL: check that the cluster ' +
      'is reachable.',
  );
}
