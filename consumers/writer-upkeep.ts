import { jetstreamManager } from '@nats-io/jetstream';
import type { NatsConnection } from '@nats-io/transport-node';
import type { Logger, Metrics } from '../infra';
import type { EmbedderInfo } from '../schemas';
import type { HotStore } from '../storage';
import { STREAM, subjects, writerConsumerName } from '../streams';
import { OUTBOX_GRACE_MS, type Announcer } from './announcer';
import type { PulledMsg } from './pulled-message';
import { sweepStranded, type StrandedSweep } from './stranded';

export interface WriterUpkeepOptions {
  groups: number[];
  /** how often the outbox, stale indexes and stranded messages are looked at */
  sweepEveryMs: number;
  /** an upload partly written longer ago than this and not whole is reported */
  incompleteAfterMs: number;
}

export interface WriterUpkeepDeps {
  nc: NatsConnection;
  store: HotStore;
  announcer: Announcer;
  embedder: EmbedderInfo;
  /** the writer's batch handler: stranded chunks go through it as if delivered */
  handleStranded: (batch: PulledMsg[]) => Promise<void>;
  /** the writer holds this chunk from a live delivery: the sweep leaves it alone */
  isHeld: (seq: number) => boolean;
  metrics: Metrics;
  log: Logger;
}

/**
 * The shard writer's periodic work, beside its pull loops: announce what the fast path
 * missed (the outbox, also once at start), repair vector indexes that missed rows, report
 * uploads whose producer died mid-way, and handle work-queue messages no delivery will
 * bring (stranded by an older max_deliver, or kept by a killed nats-server after their
 * ack). Each pass waits for the previous one.
 */
export class WriterUpkeep {
  private timer: NodeJS.Timeout | undefined;
  private running: Promise<void> = Promise.resolve();
  private stopped = false;
  /** by group: what the last stranded sweep saw (the next one may take what it left) */
  private readonly lastSweep = new Map<number, StrandedSweep>();

  constructor(
    private readonly deps: WriterUpkeepDeps,
    private readonly options: WriterUpkeepOptions,
  ) {}

  /** A first pass now (everything completed before start is due), then every sweepEveryMs. */
  start(): void {
    this.running = this.pass(new Date());
    const graceMs = Math.max(this.options.sweepEveryMs, OUTBOX_GRACE_MS);
    this.timer = setInterval(() => {
      this.running = this.running.then(() => this.pass(new Date(Date.now() - graceMs)));
    }, this.options.sweepEveryMs);
    this.timer.unref();
  }

  async stop(): Promise<void> {
    this.stopped = true;
    clearInterval(this.timer);
    await this.running;
  }

  /** One pass; uploads completed before `announceBefore` are due (younger ones are the fast path's). */
  async pass(announceBefore: Date): Promise<void> {
    if (this.stopped) return;
    const { store, metrics, log } = this.deps;
    await this.step('announce', async () => {
      const swept = await this.deps.announcer.sweep(this.deps.embedder, announceBefore);
      if (swept.published || swept.foundAnnounced) log.info({ ...swept }, 'outbox swept');
    });
    await this.step('index repair', async () => {
      await store.repairStaleIndexes();
      metrics.indexStaleShards.set(store.staleIndexShards.length);
      metrics.indexWaitingPoints.set(store.indexWaiting);
    });
    await this.step('incomplete uploads', async () => {
      const before = new Date(Date.now() - this.options.incompleteAfterMs);
      metrics.uploadsIncomplete.set(await store.incompleteUploadCount(before));
    });
    await this.step('stranded messages', () => this.sweepStranded());
  }

  private async step(name: string, work: () => Promise<void>): Promise<void> {
    try {
      await work();
    } catch (err) {
      this.deps.log.warn({ err, step: name }, 'writer upkeep step failed; tried again next pass');
    }
  }

  private async sweepStranded(): Promise<void> {
    const jsm = await jetstreamManager(this.deps.nc);
    for (const group of this.options.groups) {
      const target = {
        stream: STREAM.embedded,
        consumer: writerConsumerName(group),
        filter: subjects.embeddedGroup(group),
        isHeld: this.deps.isHeld,
      };
      const handle = this.deps.handleStranded;
      const sweep = await sweepStranded(jsm, target, handle, this.lastSweep.get(group));
      this.lastSweep.set(group, sweep);
      const { found } = sweep;
      if (found === 0) continue;
      this.deps.metrics.strandedMessages.inc({ stream: STREAM.embedded }, found);
      this.deps.log.warn({ group, found }, 'stranded work-queue messages handled');
    }
  }
}
