import {
  AddressMatcher,
  type AuthConfig,
  ConfigError,
  isLoopbackHost,
  type Logger,
} from '../infra';
import { jwtConfigured, jwtSettingsProblem } from './jwt';
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
 * explicit `AKOSHA_AUTH=off`. Also rejects JWT settings without an issuer and audience, unusable
 * anonymous networks and token files before anything starts.
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
  const jwtProblem = jwtSettingsProblem(auth.jwt);
  if (jwtProblem !== null) throw new ConfigError(jwtProblem);
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
