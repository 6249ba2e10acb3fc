import type { Logger } from '../infra';

export type Settled = 'done' | 'failed' | 'timed-out';

/** How `work` ended within `timeoutMs`; it is not cancelled when the deadline passes. */
export async function settleWithin(
  work: Promise<unknown>,
  timeoutMs: number,
  log?: Logger,
  what = 'step',
): Promise<Settled> {
  let timer: NodeJS.Timeout | undefined;
  const deadline = new Promise<Settled>((resolve) => {
    timer = setTimeout(() => resolve('timed-out'), timeoutMs);
  });
  const outcome = work.then(
    (): Settled => 'done',
    (err: unknown): Settled => {
      log?.error({ err }, `${what} failed`);
      return 'failed';
    },
  );
  try {
    return await Promise.race([outcome, deadline]);
  } finally {
    clearTimeout(timer);
  }
}

/** A step of a forced close may hang on what is already gone (a store busy, a server away). */
const ABORT_STEP_MS = 5000;

/**
 * Closes without acking: every step runs even when an earlier one fails or hangs, so
 * the process can exit. Unacked messages are redelivered after ack_wait, which is safe.
 */
export async function closeWithoutAcking(
  steps: [name: string, close: () => Promise<unknown> | unknown][],
  log: Logger,
): Promise<void> {
  for (const [name, close] of steps) {
    const work = Promise.resolve().then(close);
    const outcome = await settleWithin(work, ABORT_STEP_MS, log, name);
    if (outcome === 'timed-out') log.warn({ step: name }, 'close step timed out; going on');
  }
}
