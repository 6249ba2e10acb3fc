import {
  AgingConsumer,
  ANNOUNCE_GIVE_UP_MS,
  AnnounceFlags,
  Announcer,
  HAND_OFF_DEFAULTS,
  HandOff,
  type PullTarget,
  ShardWriter,
  WriterUpkeep,
} from '../consumers';
import { ServerClock, systemClock } from '../infra';
import { STREAM, writerConsumerName } from '../streams';
import { OnlineReplayService } from './replay-service';
import type { Stage, StageReadiness } from './stage';
import type { StageContext } from './stages';
import type { WriterState } from './writer-state';

/** The shard writer stage of a process that holds writer leases (role `writer`). */
export const shardWriterStage = (ctx: StageContext, state: WriterState): Stage =>
  new ShardWriterStage(ctx, state);

/**
 * The shard writer and what runs beside it on its shards: the announcement outbox and
 * other upkeep, the aging consumer, and online replays. All of them stop writing when the
 * lease stops holding; a lost lease stops the pulling parts and settles `failure`, so that
 * the process exits and a supervisor restarts it once the groups are free again.
 */
class ShardWriterStage implements Stage {
  readonly name = 'shard writer';
  readonly watched: PullTarget[];
  readonly failure: Promise<Error>;
  private fail: (err: Error) => void = () => undefined;
  private readonly events: HandOff;
  private readonly flags: AnnounceFlags;
  private readonly writer: ShardWriter;
  private readonly upkeep: WriterUpkeep;
  private readonly replays: OnlineReplayService;
  private aging?: AgingConsumer;
  private leaseLost?: string;

  constructor(
    private readonly ctx: StageContext,
    private readonly state: WriterState,
  ) {
    const { common, config } = ctx;
    const { store } = state;
    const fence = () => state.lease.holds();
    const giveUpAfterMs = ANNOUNCE_GIVE_UP_MS;
    this.events = new HandOff(common.js, common.log, { ...HAND_OFF_DEFAULTS, giveUpAfterMs });
    this.flags = new AnnounceFlags(store, common.log, fence);
    const announcer = new Announcer({ ...common, events: this.events, store, flags: this.flags });
    this.writer = new ShardWriter(
      { ...common, store, announcer, fence },
      { ...config.writer, retry: ctx.retry, shardGroups: config.streams.shardGroups },
    );
    const { writer } = this;
    this.upkeep = new WriterUpkeep(
      {
        ...common,
        store,
        announcer,
        embedder: ctx.embedder.info,
        handleStranded: (batch) => writer.handleBatch(batch),
        isHeld: (seq) => writer.holds(seq),
      },
      { groups: config.writer.groups, ...config.writer.upkeep },
    );
    this.replays = new OnlineReplayService({
      nc: common.nc,
      store,
      embedder: ctx.embedder,
      groups: config.writer.groups,
      shardGroups: config.streams.shardGroups,
      maxMessageBytes: config.ingest.maxMessageBytes,
      fence,
      log: common.log,
    });
    this.watched = config.writer.groups.map((g) => ({
      stream: STREAM.embedded,
      consumer: writerConsumerName(g),
    }));
    this.failure = new Promise<Error>((resolve) => (this.fail = resolve));
  }

  async start(): Promise<void> {
    this.flags.start();
    this.upkeep.start();
    await this.writer.start();
    await this.startAging();
    this.replays.start();
    this.state.lease.whenLost((reason) => this.onLeaseLost(reason));
  }

  private async startAging(): Promise<void> {
    const { common, config } = this.ctx;
    const serverClock = await ServerClock.open(common.nc, config.writer.hotDir);
    const { store, mover } = this.state;
    const fence = () => this.state.lease.holds();
    this.aging = new AgingConsumer(
      { ...common, store, mover, clock: systemClock, fence, serverClock },
      config.aging,
    );
    await this.aging.start();
  }

  /** The pulling parts drain together; then replays end and the events stop retrying. */
  async stop(): Promise<void> {
    await this.stopPulling();
    await this.flags.close();
    await this.replays.stop();
    this.events.close();
  }

  private async stopPulling(): Promise<void> {
    await Promise.all([this.writer.stop(), this.upkeep.stop(), this.aging?.stop()]);
  }

  /** Another writer may own the groups now: a fenced batch is left unacked, for the new owner. */
  private onLeaseLost(reason: string): void {
    this.leaseLost = reason;
    this.ctx.common.log.error(
      { reason },
      'writer lease lost: shard writers stopped, process exits',
    );
    void this.stopPulling().finally(() => this.fail(new Error(`writer lease lost: ${reason}`)));
  }

  ready(): StageReadiness {
    const storage = this.writer.stalled;
    return {
      ready: this.leaseLost === undefined && !storage,
      report: {
        ...(this.leaseLost !== undefined && { reason: 'lease lost' }),
        ...(storage && { storage }),
        tierRecoveryPending: this.state.recovery.pendingShards(),
      },
    };
  }
}
