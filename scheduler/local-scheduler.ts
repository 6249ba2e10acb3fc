import { hostname } from 'node:os';
import { randomUUID } from 'node:crypto';
import { JetStreamApiCodes, JetStreamApiError } from '@nats-io/jetstream';
import { Kvm, type KV } from '@nats-io/kv';
import type { NatsConnection } from '@nats-io/transport-node';
import { type Clock, type Logger, systemClock } from '../infra';

/** What a job run gets to know about its window. */
export interface JobContext {
  job: string;
  /** `floor(now / periodMs)` */
  window: number;
  windowStartMs: number;
  periodMs: number;
}

export interface ScheduledJob {
  name: string;
  periodMs: number;
  run(ctx: JobContext): Promise<void>;
}

/** Claims a `<job>.<window>` key once; exactly one claimant in all processes sharing the store gets `true`. */
export interface ClaimStore {
  claim(key: string, owner: string): Promise<boolean>;
}

/** Claims within one process only: used when no NATS connection is given. */
export class MemoryClaimStore implements ClaimStore {
  private readonly claims = new Map<string, string>();

  async claim(key: string, owner: string): Promise<boolean> {
    if (this.claims.has(key)) return false;
    this.claims.set(key, owner);
    return true;
  }
}

export const DEFAULT_CLAIM_BUCKET = 'akosha_scheduler';

export interface KvClaimStoreOptions {
  bucket?: string;
  /** how long claims are kept; must exceed the longest job period (default 48 h) */
  ttlMs?: number;
}

/**
 * Claims in a JetStream KV bucket: `kv.create` succeeds only for the first writer of a
 * key, so processes sharing the bucket never run a job twice in one window.
 */
export class KvClaimStore implements ClaimStore {
  private constructor(readonly kv: KV) {}

  static async open(nc: NatsConnection, options: KvClaimStoreOptions = {}): Promise<KvClaimStore> {
    const kv = await new Kvm(nc).create(options.bucket ?? DEFAULT_CLAIM_BUCKET, {
      history: 1,
      ttl: options.ttlMs ?? 48 * 3_600_000,
    });
    return new KvClaimStore(kv);
  }

  async claim(key: string, owner: string): Promise<boolean> {
    try {
      await this.kv.create(key, JSON.stringify({ owner, claimed_at: new Date().toISOString() }));
      return true;
    } catch (err) {
      if (
        err instanceof JetStreamApiError &&
        (err.code === JetStreamApiCodes.StreamWrongLastSequence ||
          err.code === JetStreamApiCodes.StreamWrongLastSequenceUnknown)
      ) {
        return false;
      }
      throw err;
    }
  }
}

/** `<job>.<window>`: a valid KV key for job names made of `[A-Za-z0-9_-]`. */
export function claimKey(job: string, window: number): string {
  return `${job}.${window}`;
}

export function windowOf(nowMs: number, periodMs: number): number {
  return Math.floor(nowMs / periodMs);
}

export interface LocalSchedulerOptions {
  jobs: ScheduledJob[];
  clock?: Clock;
  /** the claim store; defaults to a MemoryClaimStore */
  claims?: ClaimStore;
  /** how often the clock is read (default 1000 ms) */
  tickMs?: number;
  /** identifies this process in claims (default `<hostname>:<pid>:<random>`) */
  owner?: string;
  log?: Logger;
}

/**
 * Runs each job at most once per window `floor(now / period)`: the first tick inside a
 * window claims `<job>.<window>` and, when it wins the claim, runs the job. A run that
 * fails still consumes its window; a claim that cannot be made (store down) is retried
 * on the next tick. Runs of different jobs overlap; runs of one job never do.
 */
export class LocalScheduler {
  private readonly clock: Clock;
  private readonly claims: ClaimStore;
  private readonly tickMs: number;
  readonly owner: string;
  private readonly lastWindow = new Map<string, number>();
  private readonly inFlight = new Map<string, Promise<void>>();
  private timer: NodeJS.Timeout | undefined;
  private stopped = true;

  constructor(private readonly options: LocalSchedulerOptions) {
    for (const job of options.jobs) {
      if (!/^[A-Za-z0-9_-]+$/.test(job.name)) throw new Error(`invalid job name ${job.name}`);
      if (!(job.periodMs > 0)) throw new Error(`job ${job.name}: period must be > 0`);
    }
    this.clock = options.clock ?? systemClock;
    this.claims = options.claims ?? new MemoryClaimStore();
    this.tickMs = options.tickMs ?? 1000;
    this.owner = options.owner ?? `${hostname()}:${process.pid}:${randomUUID().slice(0, 8)}`;
  }

  start(): void {
    if (!this.stopped) return;
    this.stopped = false;
    this.loop();
  }

  /** Stops ticking and waits for the runs in flight. */
  async stop(): Promise<void> {
    this.stopped = true;
    if (this.timer) clearTimeout(this.timer);
    this.timer = undefined;
    await Promise.allSettled([...this.inFlight.values()]);
  }

  /** One pass over the jobs: starts the runs that are due; resolves when they are done. */
  async tick(): Promise<void> {
    const now = this.clock.now();
    const started: Promise<void>[] = [];
    for (const job of this.options.jobs) {
      if (this.inFlight.has(job.name)) continue;
      const window = windowOf(now, job.periodMs);
      if ((this.lastWindow.get(job.name) ?? -1) >= window) continue;
      const run = this.claimAndRun(job, window).finally(() => this.inFlight.delete(job.name));
      this.inFlight.set(job.name, run);
      started.push(run);
    }
    await Promise.allSettled(started);
  }

  private loop(): void {
    if (this.stopped) return;
    void this.tick();
    this.timer = setTimeout(() => this.loop(), this.tickMs);
  }

  private async claimAndRun(job: ScheduledJob, window: number): Promise<void> {
    const log = this.options.log;
    let won: boolean;
    try {
      won = await this.claims.claim(claimKey(job.name, window), this.owner);
    } catch (err) {
      log?.warn({ err, job: job.name, window }, 'scheduler: claim failed, retrying next tick');
      return;
    }
    this.lastWindow.set(job.name, window);
    if (!won) {
      log?.debug({ job: job.name, window }, 'scheduler: window already claimed elsewhere');
      return;
    }
    const ctx: JobContext = {
      job: job.name,
      window,
      windowStartMs: window * job.periodMs,
      periodMs: job.periodMs,
    };
    try {
      await job.run(ctx);
    } catch (err) {
      log?.error({ err, job: job.name, window }, 'scheduler: job failed');
    }
  }
}
