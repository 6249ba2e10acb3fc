import type { S3Client } from '@aws-sdk/client-s3';
import type { JetStreamClient } from '@nats-io/jetstream';
import type { NatsConnection } from '@nats-io/transport-node';
import type { DeadLetterPublisher, RetryPolicy } from '../consumers';
import { type CloudConfig, type Logger, type Metrics, systemClock } from '../infra';
import { subjects } from '../streams';
import { BucketEvents } from './bucket-events';
import { CloudImporter, type ImportCounts } from './importer';
import { PendingUploads } from './pending';
import { DiscoveryPoller } from './poller';
import { explainS3Error } from './s3';
import type { CloudStateStore } from './state-store';
import type { CloudUploadRef } from './types';
import type { WatcherLease } from './watcher-lease';

export interface WatcherStatus {
  state: 'active' | 'standby' | 'stopped';
  last_poll_at?: string;
  last_error?: string;
}

export interface WatcherDeps {
  nc: NatsConnection;
  js: JetStreamClient;
  s3: S3Client;
  state: CloudStateStore;
  lease: WatcherLease;
  deadLetters: DeadLetterPublisher;
  metrics: Metrics;
  log: Logger;
  importUpload: (ref: CloudUploadRef) => Promise<ImportCounts>;
}

export interface WatcherOptions {
  cloud: CloudConfig;
  retry: RetryPolicy;
  ackWaitMs: number;
  /** how often the lease is claimed (standby) or renewed (active): a third of its TTL */
  renewEveryMs: number;
}

/**
 * One active watcher among any number of processes: the holder of the lease polls the
 * bucket, listens to its events and imports; the others retry to take the lease. Losing
 * it stops the importer before its next message.
 */
export class CloudWatcher {
  private active = false;
  private leaseTimer?: NodeJS.Timeout;
  private pollTimer?: NodeJS.Timeout;
  private polling: Promise<void> = Promise.resolve();
  private closed = false;
  private lastPollAt?: string;
  private lastError: string | undefined;
  private readonly pending = new PendingUploads();
  private readonly poller: DiscoveryPoller;
  private readonly events?: BucketEvents;
  private readonly importer: CloudImporter;

  constructor(
    private readonly deps: WatcherDeps,
    private readonly opts: WatcherOptions,
  ) {
    const { cloud } = opts;
    const common = { ...deps, pending: this.pending, clock: systemClock };
    this.poller = new DiscoveryPoller(common, cloud);
    const eventsSubject = cloud.eventsSubject ?? subjects.cloudEvents;
    if (eventsSubject)
      this.events = new BucketEvents(deps, { bucket: cloud.bucket, subject: eventsSubject });
    this.importer = new CloudImporter(
      { ...common, holds: () => this.active && deps.lease.holds() },
      { bucket: cloud.bucket, retry: opts.retry, ackWaitMs: opts.ackWaitMs },
    );
    deps.metrics.cloudLag.reset();
  }

  async start(): Promise<void> {
    await this.tick();
  }

  status(): WatcherStatus {
    return {
      state: this.closed ? 'stopped' : this.active ? 'active' : 'standby',
      ...(this.lastPollAt && { last_poll_at: this.lastPollAt }),
      ...(this.lastError && { last_error: this.lastError }),
    };
  }

  /** Claims or renews the lease, then starts or stops the active part to match. */
  private async tick(): Promise<void> {
    let holds = false;
    try {
      holds = await this.deps.lease.claimOrRenew();
    } catch (err) {
      this.deps.log.warn({ err }, 'cloud watcher lease: claim or renewal failed');
      holds = this.deps.lease.holds();
    }
    if (this.closed) return;
    if (holds && !this.active) this.becomeActive();
    if (!holds && this.active) await this.becomeStandby('lease lost');
    this.leaseTimer = setTimeout(() => void this.tick(), this.opts.renewEveryMs);
    this.leaseTimer.unref();
  }

  private becomeActive(): void {
    this.active = true;
    this.deps.metrics.cloudWatcherActive.set(1);
    this.deps.log.info({ owner: this.deps.lease.owner }, 'cloud watcher active');
    this.events?.start();
    this.importer.start();
    this.schedulePoll(0);
  }

  private async becomeStandby(why: string): Promise<void> {
    this.active = false;
    this.deps.metrics.cloudWatcherActive.set(0);
    clearTimeout(this.pollTimer);
    this.deps.log.warn({ why }, 'cloud watcher standing by');
    await Promise.all([this.importer.stop(), this.events?.stop(), this.polling]);
    this.pending.clear();
  }

  private schedulePoll(delayMs: number): void {
    this.pollTimer = setTimeout(() => {
      this.polling = this.pollOnce().finally(() => {
        if (this.active) this.schedulePoll(this.opts.cloud.pollMs);
      });
    }, delayMs);
    this.pollTimer.unref();
  }

  private async pollOnce(): Promise<void> {
    try {
      await this.poller.pollOnce();
      this.lastPollAt = new Date().toISOString();
      this.lastError = undefined;
    } catch (err) {
      const explained = explainS3Error(err);
      this.lastError = explained instanceof Error ? explained.message : String(explained);
      this.deps.log.warn({ err: explained }, 'cloud poll failed; retried at the next one');
    }
    this.deps.metrics.cloudLag.set(this.pending.lagSeconds(Date.now()));
  }

  /** Stops polling and importing (the message in hand is finished), then frees the lease. */
  async stop(): Promise<void> {
    if (this.closed) return;
    this.closed = true;
    clearTimeout(this.leaseTimer);
    if (this.active) await this.becomeStandby('stopping');
    await this.deps.lease.release();
    this.deps.s3.destroy();
  }
}
