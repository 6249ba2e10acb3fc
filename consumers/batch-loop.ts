import {
  createInbox,
  nanos,
  type Msg,
  type NatsConnection,
  type Subscription,
} from '@nats-io/transport-node';
import type { Logger } from '../infra';
import { Heartbeat } from './heartbeat';
import { toPulledMsg, type HeldMsg, type PulledMsg } from './pulled-message';
import { bytesOf, takeBatch } from './take-batch';

export interface BatchLoopOptions {
  batchSize: number;
  /** bound of one pull request and one batch (a single larger message still comes alone) */
  maxBatchBytes: number;
  /** how long to wait for more messages once the first of a batch arrived, when more are pending */
  batchLingerMs: number;
  /** the consumer's ack_wait: held messages get `working()` every third of it */
  ackWaitMs: number;
}

/** A pull request lives this long at the server; stop() waits at most this for the open one. */
const PULL_EXPIRES_MS = 2000;
/** A request with no answer after this is taken as lost (e.g. the server restarted). */
const PULL_LOST_MS = PULL_EXPIRES_MS + 3000;
const OPEN_PULLS = 2;

interface OpenPull {
  remaining: number;
  sub: Subscription | undefined;
  timer: NodeJS.Timeout | undefined;
}

/**
 * Pulls from a durable consumer with its own pull requests and hands messages over in
 * batches bounded by count and bytes, waiting at most batchLingerMs for more. Received
 * messages are kept alive (`working()`) until handled, so only a dead process makes the
 * server redeliver. `stop()` issues no more requests, lets the open ones end (served or
 * expired), handles what they delivered, and only then unsubscribes: no message is left
 * in transit, unacknowledged.
 */
export class BatchLoop {
  private readonly queue: HeldMsg[] = [];
  private readonly heartbeat: Heartbeat;
  private wake?: () => void;
  private readonly open = new Set<OpenPull>();
  private stopping = false;
  private paused = false;
  private done: Promise<void> = Promise.resolve();

  constructor(
    private readonly nc: NatsConnection,
    private readonly target: { stream: string; consumer: string },
    private readonly options: BatchLoopOptions,
    private readonly handle: (batch: PulledMsg[]) => Promise<void>,
    private readonly log: Logger,
  ) {
    this.heartbeat = new Heartbeat(options.ackWaitMs);
  }

  async start(): Promise<void> {
    this.pull();
    this.done = this.run();
  }

  /** Stops pulling, handles everything already requested, then unsubscribes. Idempotent. */
  async stop(): Promise<void> {
    this.stopping = true;
    this.wake?.();
    await this.done;
    this.heartbeat.stop();
  }

  /** No new pull requests (a stalled sink); what is queued stays alive and is handled. */
  pause(): void {
    this.paused = true;
  }

  resume(): void {
    this.paused = false;
    this.pull();
  }

  /** Messages requested but not yet arrived. */
  private get outstanding(): number {
    let n = 0;
    for (const request of this.open) n += request.remaining;
    return n;
  }

  /** Room for one more request: what is queued plus what may still come stays bounded. */
  private hasRoom(): boolean {
    const { batchSize: batch, maxBatchBytes: bytes } = this.options;
    if (this.queue.length + this.outstanding + batch > batch * (OPEN_PULLS + 1)) return false;
    return bytesOf(this.queue) + (this.open.size + 1) * bytes <= bytes * (OPEN_PULLS + 1);
  }

  /**
   * Keeps two pull requests open, each on its own inbox, so that a request the
   * server lets lapse without a word (2.9 does, under load) leaves no gap, and
   * each request's messages and end (408 expired, 404, 409) are told apart.
   */
  private pull(): void {
    const { batchSize: batch, maxBatchBytes } = this.options;
    while (!this.stopping && !this.paused && this.open.size < OPEN_PULLS && this.hasRoom()) {
      const request: OpenPull = { remaining: batch, sub: undefined, timer: undefined };
      request.sub = this.nc.subscribe(createInbox(), {
        callback: (_err, msg) => this.receive(request, msg),
      });
      request.timer = setTimeout(() => this.endPull(request, 'lost'), PULL_LOST_MS);
      this.open.add(request);
      const subject = `$JS.API.CONSUMER.MSG.NEXT.${this.target.stream}.${this.target.consumer}`;
      const body = JSON.stringify({
        batch,
        max_bytes: maxBatchBytes,
        expires: nanos(PULL_EXPIRES_MS),
      });
      this.nc.publish(subject, body, { reply: request.sub.getSubject() });
    }
  }

  private endPull(request: OpenPull, why: 'served' | 'ended' | 'lost'): void {
    if (!this.open.delete(request)) return;
    clearTimeout(request.timer);
    request.sub?.unsubscribe();
    if (why === 'lost') this.log.debug({ ...this.target }, 'pull request lapsed without an answer');
    this.pull();
    this.wake?.();
  }

  private receive(request: OpenPull, msg: Msg): void {
    const status = msg.headers?.code ?? 0;
    if (status >= 100 && !msg.reply) {
      const description = msg.headers?.description ?? '';
      // 409 "Message Size Exceeds MaxBytes" is the byte bound doing its work
      if (status === 409 && !/MaxBytes/i.test(description))
        this.log.warn({ ...this.target, status: description }, 'pull refused');
      if (status >= 400) this.endPull(request, 'ended');
      return;
    }
    const pulled = toPulledMsg(this.nc, msg);
    this.heartbeat.hold(pulled);
    this.queue.push(pulled);
    if (--request.remaining <= 0) this.endPull(request, 'served');
    this.wake?.();
  }

  private async run(): Promise<void> {
    for (;;) {
      const batch = await this.nextBatch();
      if (!batch) return;
      try {
        await this.handle(batch);
      } catch (err) {
        // handlers settle their own failures; what they left is redelivered after ack_wait
        this.log.error({ err, size: batch.length }, 'batch handler threw');
      }
      this.heartbeat.release(batch);
      this.pull();
    }
  }

  /** The next batch, or undefined once stopping and nothing is queued or on its way. */
  private async nextBatch(): Promise<HeldMsg[] | undefined> {
    while (this.queue.length === 0) {
      if (this.stopping && this.open.size === 0) return undefined;
      await new Promise<void>((resolve) => (this.wake = resolve));
    }
    if (
      this.queue.length < this.options.batchSize &&
      this.options.batchLingerMs > 0 &&
      this.open.size &&
      this.moreOnTheWay()
    ) {
      await new Promise((resolve) => setTimeout(resolve, this.options.batchLingerMs));
    }
    return takeBatch(this.queue, this.options);
  }

  /**
   * The server had messages not yet delivered when it sent the last one (its `pending`):
   * an open request brings them now, and lingering makes one batch of them. With none, a
   * linger only adds its time to every message (each stage's at low load).
   */
  private moreOnTheWay(): boolean {
    return (this.queue[this.queue.length - 1]?.info.pending ?? 0) > 0;
  }
}
