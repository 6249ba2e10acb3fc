import type { Msg, NatsConnection } from '@nats-io/transport-node';
import { type Logger, yieldToEventLoop } from '../infra';
import { Heartbeat } from './heartbeat';
import { toPulledMsg, type HeldMsg, type PulledMsg } from './pulled-message';
import { PullRequests } from './pull-requests';
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

const OPEN_PULLS = 2;

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
  private readonly requests: PullRequests;
  private stopping = false;
  private paused = false;
  private done: Promise<void> = Promise.resolve();

  constructor(
    private readonly nc: NatsConnection,
    target: { stream: string; consumer: string },
    private readonly options: BatchLoopOptions,
    private readonly handle: (batch: PulledMsg[]) => Promise<void>,
    private readonly log: Logger,
  ) {
    this.heartbeat = new Heartbeat(options.ackWaitMs);
    this.requests = new PullRequests(
      nc,
      target,
      { batch: options.batchSize, maxBytes: options.maxBatchBytes },
      (msg) => this.receive(msg),
      () => this.requestEnded(),
      log,
    );
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
    this.requests.close();
    this.heartbeat.stop();
  }

  /** A message of this stream sequence was received and its handler has not settled it. */
  holds(seq: number): boolean {
    return this.heartbeat.holds(seq);
  }

  /** No new pull requests (a stalled sink); what is queued stays alive and is handled. */
  pause(): void {
    this.paused = true;
  }

  resume(): void {
    this.paused = false;
    this.pull();
  }

  /** Room for one more request: what is queued plus what may still come stays bounded. */
  private hasRoom(): boolean {
    const { batchSize: batch, maxBatchBytes: bytes } = this.options;
    const queued = this.queue.length + this.requests.outstanding;
    if (queued + batch > batch * (OPEN_PULLS + 1)) return false;
    return bytesOf(this.queue) + (this.requests.size + 1) * bytes <= bytes * (OPEN_PULLS + 1);
  }

  /** Keeps two pull requests open, so that one the server lets lapse leaves no gap. */
  private pull(): void {
    while (!this.stopping && !this.paused && this.requests.size < OPEN_PULLS && this.hasRoom())
      this.requests.issue();
  }

  private requestEnded(): void {
    this.pull();
    this.wake?.();
  }

  private receive(msg: Msg): void {
    const pulled = toPulledMsg(this.nc, msg);
    this.heartbeat.hold(pulled);
    this.queue.push(pulled);
    this.wake?.();
  }

  private async run(): Promise<void> {
    for (;;) {
      const batch = await this.nextBatch();
      if (!batch) return;
      await yieldToEventLoop(); // a search in flight goes first
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
      if (this.stopping && this.requests.size === 0) return undefined;
      await new Promise<void>((resolve) => (this.wake = resolve));
    }
    if (
      this.queue.length < this.options.batchSize &&
      this.options.batchLingerMs > 0 &&
      this.requests.size &&
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
