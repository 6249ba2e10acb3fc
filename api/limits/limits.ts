import { HTTP_LIMIT_DEFAULTS, type HttpLimits } from '../../infra';

export const DEFAULT_HTTP_LIMITS: HttpLimits = {
  ...HTTP_LIMIT_DEFAULTS,
  embedding: { ...HTTP_LIMIT_DEFAULTS.embedding },
  mcpAllowedOrigins: [],
};
