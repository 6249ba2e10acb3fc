import type { FastifyRequest } from 'fastify';
import type { Principal } from '../auth';

/** The systems a caller may see and write: every one (`*`) or these. */
export type SystemScope = Principal['systems'];

export const ALL_SYSTEMS_SCOPE: SystemScope = '*';

export function inScope(scope: SystemScope, systemId: string): boolean {
  return scope === '*' || scope.includes(systemId);
}

/** The scope of this request's principal; none at all when no principal was set (fail closed). */
export function scopeOf(request: FastifyRequest): SystemScope {
  return request.principal?.systems ?? [];
}

/** The scope as a cache-key part: equal scopes give equal keys whatever their order. */
export function scopeKey(scope: SystemScope): string {
  return scope === '*' ? '*' : [...new Set(scope)].sort().join(',');
}
