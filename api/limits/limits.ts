import { HTTP_LIMIT_DEFAULTS } from '../../infra/defaults';
import type { HttpLimits } from '../../infra/option-types';

export const DEFAULT_HTTP_LIMITS: HttpLimits = {
  ...HTTP_LIMIT_DEFAULTS,
  embedding: { ...HTTP_LIMIT_DEFAULTS.embedding },
  mcpAllowedOrigins: [],
};
