/** Injected time source so that aging, backoff and breakers are testable without sleeping. */
export interface Clock {
  now(): number;
}

export const systemClock: Clock = { now: () => Date.now() };

/**
 * Milliseconds since the epoch with sub-millisecond resolution (monotonic within a process):
 * for stage timings that are compared across processes on one machine.
 */
export const preciseNowMs = (): number => performance.timeOrigin + performance.now();
