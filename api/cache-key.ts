import { createHash } from 'node:crypto';

/** What a cached answer depends on: plain JSON (undefined fields count as absent). */
export type CacheRequest = Record<string, unknown>;

/** Scope name of queries over every system (a system_id never contains '*'). */
export const ALL_SYSTEMS = '*';

/** JSON with object keys sorted at every depth, so equal requests give equal text. */
export function canonicalJson(value: unknown): string {
  return JSON.stringify(sortKeys(value));
}

function sortKeys(value: unknown): unknown {
  if (hasToJson(value)) return sortKeys(value.toJSON()); // a Date is written as JSON writes it
  if (Array.isArray(value)) return value.map(sortKeys);
  if (value === null || typeof value !== 'object') return value;
  const sorted: Record<string, unknown> = {};
  for (const key of Object.keys(value).sort()) {
    sorted[key] = sortKeys((value as Record<string, unknown>)[key]);
  }
  return sorted;
}

function hasToJson(value: unknown): value is { toJSON(): unknown } {
  return typeof (value as { toJSON?: unknown } | null)?.toJSON === 'function';
}

/** sha256 (hex) of the request and its scope; `undefined` scope = all systems. */
export function requestHash(request: CacheRequest, scope: string | undefined): string {
  const text = canonicalJson({ request, scope: scope ?? null });
  return createHash('sha256').update(text).digest('hex');
}
