import { COLD_READ_DEFAULTS, type ColdReadLimits } from '../../infra';
import type { ObjectStore } from './object-store';

export const DEFAULT_COLD_READ_LIMITS: ColdReadLimits = { ...COLD_READ_DEFAULTS };

/** A cold read refused or stopped by a limit; says which, never an object key. */
export class ColdReadLimitError extends Error {
  readonly statusCode = 503;
  constructor(
    readonly reason: 'cold_read_limit' | 'cold_read_timeout',
    message: string,
  ) {
    super(message);
    this.name = 'ColdReadLimitError';
  }
}

export const tooManyObjects = (systemId: string, objects: number, max: number) =>
  new ColdReadLimitError(
    'cold_read_limit',
    `the cold tier of ${systemId} holds ${objects} objects; at most ${max} are read per request`,
  );

export const coldTimeout = (ms: number) =>
  new ColdReadLimitError('cold_read_timeout', `cold read stopped after ${ms} ms`);

/** A signal that aborts after `ms`, or earlier with `outer`. */
export function deadline(ms: number, outer?: AbortSignal): AbortSignal {
  const own = AbortSignal.timeout(ms);
  return outer ? AbortSignal.any([own, outer]) : own;
}

/** The same store, calling `onWrite` after every put and delete (to drop what was derived). */
export function notifyingWrites(store: ObjectStore, onWrite: () => void): ObjectStore {
  return {
    put: async (key, body, metadata) => {
      try {
        await store.put(key, body, metadata);
      } finally {
        onWrite();
      }
    },
    delete: async (key) => {
      try {
        await store.delete(key);
      } finally {
        onWrite();
      }
    },
    get: (key, opts) => store.get(key, opts),
    head: (key) => store.head(key),
    list: (prefix) => store.list(prefix),
  };
}

/** One value per key, reused for `ttlMs` (0: never reused); a failed computation is not kept. */
export class TtlMemo<T> {
  private readonly entries = new Map<string, { at: number; value: Promise<T> }>();

  constructor(private readonly ttlMs: number) {}

  get(key: string, compute: () => Promise<T>): Promise<T> {
    const hit = this.entries.get(key);
    if (hit && performance.now() - hit.at < this.ttlMs) return hit.value;
    const value = compute();
    this.entries.set(key, { at: performance.now(), value });
    value.catch(() => {
      if (this.entries.get(key)?.value === value) this.entries.delete(key);
    });
    return value;
  }

  clear(): void {
    this.entries.clear();
  }
}
