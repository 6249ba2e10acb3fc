import { createInbox, nanos, type Msg, type NatsConnection } from '@nats-io/transport-node';
import type { Subscription } from '@nats-io/transport-node';
import type { Logger } from '../infra';

/** A pull request lives about this long at the server (between half and 1.5 times). */
export const PULL_EXPIRES_MS = 2000;
/**
 * Past its expiry with no word from the server, a request is taken as lapsed and replaced:
 * nats-server 2.9 lets requests expire without their 408 under load, and waiting for the
 * lost timer left the consumer with no request for seconds. A 408 that comes later is
 * harmless (the replacement was only issued early).
 */
export const PULL_LAPSED_AFTER_MS = 100;
/** A request's inbox stays open this long after its expiry for what may still come. */
const PULL_LOST_AFTER_MS = 3000;

export interface PullTargetName {
  stream: string;
  consumer: string;
}

interface Request {
  remaining: number;
  sub: Subscription;
  timers: NodeJS.Timeout[];
  /** when it expires at the server (performance.now() ms) */
  expiresAt: number;
}

export type PullEnd = 'served' | 'ended' | 'lapsed' | 'lost';

/**
 * The pull requests of one loop, each on its own inbox, so that each request's messages and
 * end (408 expired, 404, 409) are told apart. A request expires half a period after the
 * others, so that open requests never lapse together; a lapsed one stops counting as open
 * (it is replaced) but its inbox still takes what arrives until it is taken as lost.
 */
export class PullRequests {
  private readonly open = new Set<Request>();
  private readonly lapsed = new Set<Request>();
  private closed = false;

  constructor(
    private readonly nc: NatsConnection,
    private readonly target: PullTargetName,
    private readonly limits: { batch: number; maxBytes: number },
    private readonly onMessage: (msg: Msg) => void,
    /** a request stopped counting as open: room for another */
    private readonly onEnd: (why: PullEnd) => void,
    private readonly log: Logger,
  ) {}

  /** Requests that may still bring messages (lapsed ones excepted). */
  get size(): number {
    return this.open.size;
  }

  /** Messages requested by open requests and not yet arrived. */
  get outstanding(): number {
    let n = 0;
    for (const request of this.open) n += request.remaining;
    return n;
  }

  issue(): void {
    const now = performance.now();
    const expiresMs = this.staggeredExpiry(now);
    const sub = this.nc.subscribe(createInbox(), {
      callback: (_err, msg) => this.receive(request, msg),
    });
    const request: Request = {
      remaining: this.limits.batch,
      sub,
      timers: [],
      expiresAt: now + expiresMs,
    };
    request.timers = [
      setTimeout(() => this.lapse(request), expiresMs + PULL_LAPSED_AFTER_MS),
      setTimeout(() => this.end(request, 'lost'), expiresMs + PULL_LOST_AFTER_MS),
    ];
    this.open.add(request);
    const { stream, consumer } = this.target;
    const body = JSON.stringify({
      batch: this.limits.batch,
      max_bytes: this.limits.maxBytes,
      expires: nanos(expiresMs),
    });
    this.nc.publish(`$JS.API.CONSUMER.MSG.NEXT.${stream}.${consumer}`, body, {
      reply: sub.getSubject(),
    });
  }

  /** Half a period after the latest open request's expiry, within [0.5, 1.5] periods. */
  private staggeredExpiry(now: number): number {
    let latest = -Infinity;
    for (const request of this.open) latest = Math.max(latest, request.expiresAt);
    if (latest === -Infinity) return PULL_EXPIRES_MS;
    const wanted = latest - now + PULL_EXPIRES_MS / 2;
    return Math.round(Math.min(Math.max(wanted, PULL_EXPIRES_MS / 2), PULL_EXPIRES_MS * 1.5));
  }

  /** Closes every inbox and timer, issuing none (the loop has stopped). */
  close(): void {
    this.closed = true;
    for (const request of [...this.open, ...this.lapsed]) this.end(request, 'ended');
  }

  private receive(request: Request, msg: Msg): void {
    const status = msg.headers?.code ?? 0;
    if (status >= 100 && !msg.reply) {
      const description = msg.headers?.description ?? '';
      // 409 "Message Size Exceeds MaxBytes" is the byte bound doing its work
      if (status === 409 && !/MaxBytes/i.test(description))
        this.log.warn({ ...this.target, status: description }, 'pull refused');
      if (status >= 400) this.end(request, 'ended');
      return;
    }
    this.onMessage(msg);
    if (--request.remaining <= 0) this.end(request, 'served');
  }

  private lapse(request: Request): void {
    if (!this.open.delete(request)) return;
    this.lapsed.add(request);
    this.log.debug({ ...this.target }, 'pull request lapsed without an answer');
    this.onEnd('lapsed');
  }

  private end(request: Request, why: PullEnd): void {
    const wasOpen = this.open.delete(request);
    if (!wasOpen && !this.lapsed.delete(request)) return;
    for (const timer of request.timers) clearTimeout(timer);
    request.sub.unsubscribe();
    if (wasOpen && !this.closed) this.onEnd(why);
  }
}
