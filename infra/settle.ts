import type { Logger } from './logger';

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
