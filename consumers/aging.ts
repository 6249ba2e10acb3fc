import type { NatsConnection, Subscription } from '@nats-io/transport-node';
import type { AgingConfig, Clock, Logger, Metrics } from '../infra';
import { AgingEvent } from '../schemas';
import { type HotStore, type MoveResult, TierMoveError, type TierMover } from '../storage';
import { subjects } from '../streams';

const DAY_MS = 86_400_000;

export interface AgingDeps {
  nc: NatsConnection;
  store: HotStore;
  mover: TierMover;
  metrics: Metrics;
  log: Logger;
  clock: Clock;
  /** the writer lease: while it does not hold, no shard is moved or expired */
  fence?: () => boolean;
  /** the NATS server's time: a pass runs only while `clock` agrees with it */
  serverClock?: { now(): Promise<number> };
}

/** A writer clock further than this from the server's moves and deletes nothing. */
export const MAX_CLOCK_SKEW_MS = 5 * 60_000;

/**
 * The aging consumer of a shard writer: on akosha.aging.hot it moves the records
 * of its shards older than warmAfterDays to warm, on akosha.aging.warm those older
 * than coldAfterDays to cold, then deletes what is past retentionDays. Every
 * writer acts on its own shards, so each one hears every event (no queue group);
 * runs are one at a time, and an event during a run is folded into the next one.
 */
export class AgingConsumer {
  private sub?: Subscription;
  private running: Promise<void> = Promise.resolve();
  private queued = new Set<AgingEvent['tier']>();

  constructor(
    private readonly deps: AgingDeps,
    private readonly config: AgingConfig,
  ) {}

  /** Subscribes, and returns once the server has the subscription: no event after it is missed. */
  async start(): Promise<void> {
    this.sub = this.deps.nc.subscribe(subjects.agingAll, {
      callback: (_err, msg) => this.receive(msg.data),
    });
    await this.deps.nc.flush();
  }

  async stop(): Promise<void> {
    this.sub?.unsubscribe();
    await this.running;
  }

  private receive(data: Uint8Array): void {
    let event: AgingEvent;
    try {
      event = AgingEvent.parse(JSON.parse(Buffer.from(data).toString('utf8')));
    } catch (err) {
      this.deps.log.warn(
        { code: 'SCHEMA_INVALID', err: (err as Error).message },
        'aging event rejected',
      );
      return;
    }
    if (this.queued.has(event.tier)) return;
    this.queued.add(event.tier);
    this.running = this.running.then(() => this.run(event.tier));
  }

  /** One pass over the shards this writer owns. Exposed for tests and the restore command. */
  async run(tier: AgingEvent['tier']): Promise<void> {
    this.queued.delete(tier);
    const now = this.deps.clock.now();
    if (!(await this.clockAgrees(now))) return;
    for (const shard of this.deps.store.shards) {
      if (this.deps.fence?.() === false) return;
      if (tier === 'hot') {
        await this.move('hot', 'warm', () =>
          this.deps.mover.moveHotToWarm(shard, daysAgo(now, this.config.warmAfterDays)),
        );
      } else {
        await this.move('warm', 'cold', () =>
          this.deps.mover.moveWarmToCold(shard, daysAgo(now, this.config.coldAfterDays)),
        );
      }
    }
    if (this.deps.fence?.() === false) return;
    if (tier === 'warm') await this.expire(now);
    await this.reportSizes().catch((err) => this.deps.log.warn({ err }, 'tier sizes unavailable'));
  }

  /** Ages are reckoned by this writer's clock: a clock stepped by days would expire early. */
  private async clockAgrees(now: number): Promise<boolean> {
    if (!this.deps.serverClock) return true;
    let skewMs: number;
    try {
      skewMs = now - (await this.deps.serverClock.now());
    } catch (err) {
      this.deps.log.warn({ err }, 'server clock unavailable: aging pass skipped');
      return false;
    }
    this.deps.metrics.clockSkew.set(skewMs / 1000);
    if (Math.abs(skewMs) <= MAX_CLOCK_SKEW_MS) return true;
    this.deps.log.error(
      { skewMs, maxSkewMs: MAX_CLOCK_SKEW_MS },
      "this writer's clock disagrees with the NATS server's: nothing is moved or deleted",
    );
    return false;
  }

  private async reportSizes(): Promise<void> {
    const { metrics, store, mover } = this.deps;
    const hot = await store.count();
    metrics.hotRecords.set(hot);
    metrics.tierRecords.set({ tier: 'hot' }, hot);
    metrics.tierBytes.set({ tier: 'hot' }, store.diskBytes());
    metrics.tierRecords.set({ tier: 'warm' }, await mover.warm.count());
    metrics.tierBytes.set({ tier: 'warm' }, mover.warm.diskBytes());
    const cold = await mover.cold.stats();
    metrics.tierRecords.set({ tier: 'cold' }, cold.records);
    metrics.tierBytes.set({ tier: 'cold' }, cold.bytes);
  }

  private async move(from: string, to: string, move: () => Promise<MoveResult>): Promise<void> {
    const labels = { source_tier: from, target_tier: to };
    try {
      const result = await move();
      this.deps.metrics.migrationRecords.inc({ ...labels, status: 'ok' }, result.records);
      this.deps.metrics.migrationBytes.inc({ target_tier: to }, result.bytes);
      this.deps.metrics.moveDuration.observe(labels, result.durationMs / 1000);
      if (result.records)
        this.deps.log.info(
          { ...labels, shard: result.shard, records: result.records },
          'records moved',
        );
    } catch (err) {
      const verifyFailed = err instanceof TierMoveError;
      this.deps.metrics.migrationRecords.inc({
        ...labels,
        status: verifyFailed ? 'verify_failed' : 'error',
      });
      if (verifyFailed) this.deps.metrics.checksumMismatches.inc({ code: err.code });
      // the source is kept; the next event retries the move
      this.deps.log.error({ err, ...labels }, 'tier move failed; source kept');
    }
  }

  private async expire(now: number): Promise<void> {
    try {
      const expired = await this.deps.mover.deleteExpired(this.config.retentionDays, new Date(now));
      this.deps.log.info({ expired }, 'expired records deleted');
    } catch (err) {
      this.deps.log.error({ err }, 'retention pass failed');
    }
  }
}

const daysAgo = (now: number, days: number) => new Date(now - days * DAY_MS);
