import type { PulledMsg } from './pulled-message';
import { AkoshaError, type Logger } from '../infra';
import type { DeadLetterStage } from '../schemas';
import type { DeadLetterSink } from './dead-letters';

export interface RetryPolicy {
  maxDeliver: number;
  backoffMs: number[];
}

export type Settlement = 'dead_lettered' | 'retried';

export type SettleDeps = { deadLetters: DeadLetterSink; retry: RetryPolicy; log: Logger };

export function backoffFor(deliveryCount: number, backoffMs: number[]): number {
  return backoffMs[Math.min(deliveryCount - 1, backoffMs.length - 1)] ?? 1000;
}

/**
 * Decides the fate of a failed message from its error code: not retryable →
 * dead letter then term; retryable → nak with backoff, or dead letter on the
 * last delivery so that nothing stays pending silently.
 */
export async function settleFailure(
  msg: PulledMsg,
  err: AkoshaError,
  stage: DeadLetterStage,
  deps: SettleDeps,
  ctx: { uploadId?: string; systemId?: string } = {},
): Promise<Settlement> {
  const lastDelivery = msg.info.deliveryCount >= deps.retry.maxDeliver;
  if (err.retryable && !lastDelivery) {
    const delayMs = backoffFor(msg.info.deliveryCount, deps.retry.backoffMs);
    deps.log.warn({ code: err.code, err: err.message, seq: msg.seq, delayMs }, 'retrying message');
    msg.nak(delayMs);
    return 'retried';
  }
  const final = err.retryable
    ? new AkoshaError('RETRIES_EXHAUSTED', `${err.code}: ${err.message}`, { issues: err.issues })
    : err;
  return deadLetter(msg, final, stage, deps, ctx);
}

/** Letter, then term; a letter that can't be published leaves the message to a retry. */
export async function deadLetter(
  msg: PulledMsg,
  err: AkoshaError,
  stage: DeadLetterStage,
  deps: SettleDeps,
  ctx: { uploadId?: string; systemId?: string },
): Promise<Settlement> {
  try {
    await deps.deadLetters.publish(stage, msg, err, ctx);
  } catch (publishErr) {
    deps.log.error(
      { err: publishErr, seq: msg.seq },
      'dead letter publish failed; retrying message',
    );
    msg.nak(backoffFor(msg.info.deliveryCount, deps.retry.backoffMs));
    return 'retried';
  }
  deps.log.info({ code: err.code, seq: msg.seq, subject: msg.subject }, 'message dead-lettered');
  msg.term();
  return 'dead_lettered';
}

/**
 * The server never gives up on a message (max_deliver -1: a message it gave up on would
 * sit in the stream, delivered to no one). Deliveries past maxDeliver ended unsettled, the
 * process dying with them each time: such a message is dead-lettered without being handled
 * again. Returns the messages to handle.
 */
export async function screenExhausted(
  batch: PulledMsg[],
  stage: DeadLetterStage,
  deps: SettleDeps,
): Promise<PulledMsg[]> {
  const live: PulledMsg[] = [];
  for (const msg of batch) {
    const n = msg.info.deliveryCount;
    if (n <= deps.retry.maxDeliver) live.push(msg);
    else {
      const why = `delivered ${n} times without being settled (the handling process died)`;
      await deadLetter(msg, new AkoshaError('RETRIES_EXHAUSTED', why), stage, deps, {});
    }
  }
  return live;
}
