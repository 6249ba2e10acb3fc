import { settleWithin, type Logger } from '../infra';

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
