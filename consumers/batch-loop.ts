import {
  createInbox,
  type Msg,
  type NatsConnection,
  type Subscription,
} from '@nats-io/transport-node';
import { nanos } from '@nats-io/transport-node';
import type { Logger } from '../infra/logger';
import { toPulledMsg, type PulledMsg } from './pulled-message';

export interface BatchLoopOptions {
  batchSize: number;
  /** how long to wait for more messages once the first of a batch arrived */
  batchLingerMs: number;
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
 * Pulls from a durable consumer with its own pull requests and hands messages
 * over in batches: as many as have arrived, up to batchSize, waiting at most
 * batchLingerMs for more. One request is open at a time, so `stop()` can issue
 * no more, let the open one end (served or expired), handle what it delivered,
 * and only then unsubscribe: no message is left in transit, unacknowledged.
 */
export class BatchLoop {
  private readonly queue: PulledMsg[] = [];
  private wake?: () => void;
  private readonly open = new Set<OpenPull>();
  private stopping = false;
  private done: Promise<void> = Promise.resolve();

  constructor(
    private readonly nc: NatsConnection,
    private readonly target: { stream: string; consumer: string },
    private readonly options: BatchLoopOptions,
    private readonly handle: (batch: PulledMsg[]) => Promise<void>,
    private readonly log: Logger,
  ) {}

  async start(): Promise<void> {
    this.pull();
    this.done = this.run();
  }

  /** Stops pulling, handles everything already requested, then unsubscribes. Idempotent. */
  async stop(): Promise<void> {
    this.stopping = true;
    this.wake?.();
    await this.done;
  }

  /** Messages requested but not yet arrived. */
  private get outstanding(): number {
    let n = 0;
    for (const request of this.open) n += request.remaining;
    return n;
  }

  /**
   * Keeps two pull requests open, each on its own inbox, so that a request the
   * server lets lapse without a word (2.9 does, under load) leaves no gap, and
   * each request's messages and end (408 expired, 404, 409) are told apart.
   */
  private pull(): void {
    const batch = this.options.batchSize;
    while (!this.stopping && this.open.size < OPEN_PULLS) {
      if (this.queue.length + this.outstanding + batch > batch * (OPEN_PULLS + 1)) return;
      const request: OpenPull = { remaining: batch, sub: undefined, timer: undefined };
      request.sub = this.nc.subscribe(createInbox(), {
        callback: (_err, msg) => this.receive(request, msg),
      });
      request.timer = setTimeout(() => this.endPull(request, 'lost'), PULL_LOST_MS);
      this.open.add(request);
      const subject = `$JS.API.CONSUMER.MSG.NEXT.${this.target.stream}.${this.target.consumer}`;
      const body = JSON.stringify({ batch, expires: nanos(PULL_EXPIRES_MS) });
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
      if (status === 409)
        this.log.warn({ ...this.target, status: msg.headers?.description }, 'pull refused');
      if (status >= 400) this.endPull(request, 'ended');
      return;
    }
    this.queue.push(toPulledMsg(this.nc, msg));
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
        // handlers settle their own failures; ack_wait brings this batch back
        this.log.error({ err, size: batch.length }, 'batch handler threw');
      }
      this.pull();
    }
  }

  /** The next batch, or undefined once stopping and nothing is queued or on its way. */
  private async nextBatch(): Promise<PulledMsg[] | undefined> {
    while (this.queue.length === 0) {
      if (this.stopping && this.open.size === 0) return undefined;
      await new Promise<void>((resolve) => (this.wake = resolve));
    }
    if (
      this.queue.length < this.options.batchSize &&
      this.options.batchLingerMs > 0 &&
      this.open.size
    ) {
      await new Promise((resolve) => setTimeout(resolve, this.options.batchLingerMs));
    }
    return this.queue.splice(0, this.options.batchSize);
  }
}
