import type { JetStreamClient, PubAck } from '@nats-io/jetstream';
import type { MsgHdrs } from '@nats-io/transport-node';
import type { Logger } from '../infra';
import { Pool } from '../storage';

export interface HandOffOptions {
  /** publishes awaiting their broker ack at once; more wait their turn */
  maxInFlight: number;
  /** one publish attempt waits this long for its ack */
  attemptTimeoutMs: number;
  /** a publish keeps being retried this long before it fails; default: until it lands */
  giveUpAfterMs: number;
}

/** What a stage needs of a hand-off: a publish that lands once (by message id), and close. */
export interface HandOffPort {
  publish(subject: string, data: string, msgID: string, headers?: MsgHdrs): Promise<unknown>;
  /** pending retries end at their next attempt */
  close(): void;
}

export const HAND_OFF_DEFAULTS: HandOffOptions = {
  maxInFlight: 256,
  attemptTimeoutMs: 5000,
  giveUpAfterMs: Infinity,
};

const TRANSIENT_TEXT =
  /timeout|timed out|no responders|disconnect|503|insufficient resources|maximum (bytes|messages) exceeded/i;

/** A broker that is busy, restarting or briefly unreachable: the same publish may succeed later. */
export function isTransientPublishError(err: unknown): boolean {
  const e = err as { name?: string; message?: string; code?: string };
  if (['TimeoutError', 'NoRespondersError', 'ConnectionError'].includes(e.name ?? '')) return true;
  // a full store: 2.9 answers "insufficient resources", or nothing until it is restarted;
  // a stream at its max_bytes (DiscardNew) answers "maximum bytes exceeded" until consumed
  const text = `${e.message ?? ''} ${e.code ?? ''}`;
  return TRANSIENT_TEXT.test(text);
}

/**
 * Publishes to the next stage as backpressure, not failure: at most `maxInFlight`
 * publishes wait for their ack, and a timeout, an unreachable broker or a full store is
 * retried with the same message id (the broker drops the copy that did arrive) until it
 * lands or the stage stops, so load and outages become lag instead of spent deliveries.
 * The caller keeps its message alive meanwhile (the batch loop's heartbeat).
 */
export class HandOff implements HandOffPort {
  private readonly slots: Pool<number>;
  private closed = false;

  constructor(
    private readonly js: JetStreamClient,
    private readonly log: Logger,
    private readonly options: HandOffOptions = HAND_OFF_DEFAULTS,
  ) {
    this.slots = new Pool(Array.from({ length: options.maxInFlight }, (_, i) => i));
  }

  publish(subject: string, data: string, msgID: string, headers?: MsgHdrs): Promise<PubAck> {
    return this.slots.use(() => this.publishWithRetries(subject, data, msgID, headers));
  }

  /** Pending retries end at their next attempt (a draining process stops waiting). */
  close(): void {
    this.closed = true;
  }

  private async publishWithRetries(
    subject: string,
    data: string,
    msgID: string,
    headers: MsgHdrs | undefined,
  ): Promise<PubAck> {
    const deadline = Date.now() + this.options.giveUpAfterMs;
    for (let attempt = 1; ; attempt++) {
      try {
        return await this.js.publish(subject, data, {
          msgID,
          timeout: this.options.attemptTimeoutMs,
          ...(headers && { headers }),
        });
      } catch (err) {
        if (this.closed || !isTransientPublishError(err) || Date.now() >= deadline) throw err;
        const delayMs = Math.min(100 * 2 ** (attempt - 1), 2000);
        if (attempt === 3) this.log.warn({ err, subject, attempt }, 'hand-off publish retrying');
        await new Promise((resolve) => setTimeout(resolve, delayMs));
      }
    }
  }
}
