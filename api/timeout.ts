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

/** How many times withLoopTimeout's wait starts again because the event loop was blocked. */
const MAX_STALLS = 3;

/**
 * Like withTimeout, but `ms` counts time in which the event loop ran. A timer that fires late
 * means the loop was blocked (a long synchronous step elsewhere in the process): a reply may
 * be sitting unread in its socket, so the wait starts again, up to MAX_STALLS times, rather
 * than blaming the other side for the process's own pause.
 */
export function withLoopTimeout<T>(work: Promise<T>, ms: number): Promise<T> {
  return new Promise<T>((resolve, reject) => {
    let stalls = 0;
    let due = performance.now() + ms;
    let timer: NodeJS.Timeout;
    const expire = (): void => {
      if (performance.now() - due > ms / 2 && stalls++ < MAX_STALLS) {
        due = performance.now() + ms;
        timer = setTimeout(expire, ms);
        return;
      }
      reject(timeoutError(ms));
    };
    timer = setTimeout(expire, ms);
    work.then(
      (value) => {
        clearTimeout(timer);
        resolve(value);
      },
      (err: unknown) => {
        clearTimeout(timer);
        reject(err as Error);
      },
    );
  });
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
