import type { AuthConfig } from '../../infra/config';

/** Authentication settings for a test: tokens in `tokensFile`, nothing else unless overridden. */
export function authConfig(tokensFile: string, overrides: Partial<AuthConfig> = {}): AuthConfig {
  return {
    mode: 'on',
    tokensFile,
    jwt: { secret: '', jwksUrl: '', issuer: '', audience: '', leewaySeconds: 30 },
    anonymousRole: null,
    anonymousCidrs: [],
    metricsPublic: false,
    ...overrides,
  };
}
