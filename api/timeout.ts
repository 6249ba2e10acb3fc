const timeoutError = (ms: number): Error => {
  const err = new Error(`no answer within ${ms} ms`);
  err.name = 'TimeoutError';
  return err;
};

/** Rejects with a `TimeoutError` when `work` has not settled within `ms`; the timer never outlives it. */
export function withTimeout<T>(work: Promise<T>, ms: number): Promise<T> {
  let timer: NodeJS.Timeout | undefined;
  const timeout = new Promise<never>((_, reject) => {
    timer = setTimeout(() => reject(timeoutError(ms)), ms);
  });
  return Promise.race([work, timeout]).finally(() => clearTimeout(timer));
}

/** One timer for several pieces of work that start together (see `withDeadline`). */
export interface Deadline {
  /** `work`, or a `TimeoutError` once the deadline has passed */
  race<T>(work: Promise<T>): Promise<T>;
}

/**
 * Runs `use` with a deadline `ms` from now that every piece of work it starts at once can race
 * against: each of them still gets `ms`, for one timer instead of one per piece (a search
 * runs a part per shard). The timer is cleared when `use` settles.
 */
export async function withDeadline<T>(ms: number, use: (d: Deadline) => Promise<T>): Promise<T> {
  let timer: NodeJS.Timeout | undefined;
  const expired = new Promise<never>((_, reject) => {
    timer = setTimeout(() => reject(timeoutError(ms)), ms);
  });
  expired.catch(() => undefined); // work that settled first leaves the rejection unobserved
  try {
    return await use({ race: (work) => Promise.race([work, expired]) });
  } finally {
    clearTimeout(timer);
  }
}
