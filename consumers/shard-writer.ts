import type { MsgHdrs, NatsConnection } from '@nats-io/transport-node';
import {
  AkoshaError,
  hitFaultPoint,
  hitPoisonPoint,
  type Logger,
  type Metrics,
  toAkoshaError,
} from '../infra';
import { STREAM, writerConsumerName } from '../streams';
import { type ChunkInput, type ShardSink, type ShardWriteResult, uploadKey } from '../storage';
import type { Announcer } from './announcer';
import type { BatchLoopOptions } from './batch-loop';
import type { DeadLetterSink } from './dead-letters';
import { decodeChunk } from './decode-chunk';
import { LoopGroup } from './loop-group';
import { guardCrashLoops } from './poison-guard';
import type { SuspectLog } from './suspects';
import type { PulledMsg } from './pulled-message';
import { settleFailure, type RetryPolicy } from './settle';
import { SinkStall, stallDelayMs, stallReason, type StallStatus } from './sink-stall';
import { nextTrace, observeStage, storedAtMs, TRACE } from './stage-trace';

export interface ShardWriterOptions extends BatchLoopOptions {
  groups: number[];
  /** how many shard groups there are (AKOSHA_SHARD_GROUPS): a chunk's shard must be in `groups` */
  shardGroups: number;
  retry: RetryPolicy;
}

export interface ShardWriterDeps {
  nc: NatsConnection;
  /** the shard files this writer owns (HotStore) */
  store: ShardSink;
  /** announces uploads made whole; what fails is left to the outbox sweep */
  announcer: Pick<Announcer, 'announce'>;
  deadLetters: DeadLetterSink;
  metrics: Metrics;
  log: Logger;
  /** marks of suspects handled alone (poison isolation); none: no isolation across crashes */
  suspects?: SuspectLog | undefined;
  /**
   * The writer lease: while it does not hold, nothing is written, announced or acked.
   * The messages are left as they are (no nak): after ack_wait they go to the new owner.
   */
  fence?: () => boolean;
}

type Item = { msg: PulledMsg; input: ChunkInput };

/**
 * Shard writer: pulls akosha.embedded.<group>.> for the groups it owns, verifies each chunk
 * (consumers/verify-chunk.ts: a forged one is dead-lettered, its neighbours go on), writes each
 * shard's records in one DuckDB transaction, announces every upload now whole, then
 * acks. Storage that fails (disk full, I/O) stalls the writer instead of spending
 * deliveries; an announcement that fails is left to the outbox sweep.
 */
export class ShardWriter {
  private readonly loops: LoopGroup;
  private readonly stall: SinkStall;
  private stopping = false;

  constructor(
    private readonly deps: ShardWriterDeps,
    private readonly options: ShardWriterOptions,
  ) {
    this.loops = new LoopGroup(deps.nc, deps.log);
    this.stall = new SinkStall(this.loops, deps.metrics, deps.log);
  }

  start(): Promise<void> {
    const targets = this.options.groups.map((group) => ({
      stream: STREAM.embedded,
      consumer: writerConsumerName(group),
    }));
    const deps = { ...this.deps, retry: this.options.retry };
    const handle = guardCrashLoops((batch) => this.handleBatch(batch), 'write', deps);
    return this.loops.start(targets, this.options, handle);
  }

  stop(): Promise<void> {
    this.stopping = true;
    return this.loops.stop();
  }

  private get owner() {
    return { groups: this.options.groups, groupCount: this.options.shardGroups };
  }

  /** A chunk of this AKOSHA_EMBEDDED sequence was delivered here and is not settled yet. */
  holds(seq: number): boolean {
    return this.loops.holds(seq);
  }

  /** Why the writer does not pull, when its storage fails. */
  get stalled(): StallStatus | undefined {
    return this.stall.status;
  }

  async handleBatch(batch: PulledMsg[]): Promise<void> {
    const timer = this.deps.metrics.ingestDuration.startTimer({ stage: 'write' });
    const byShard = new Map<number, Item[]>();
    for (const msg of batch) {
      observeStage(this.deps.metrics, 'embedded_wait', storedAtMs(msg), msg.receivedAtMs);
      const input = decodeChunk(msg, this.owner);
      if (input instanceof AkoshaError) {
        await this.fail(msg, input);
        continue;
      }
      hitPoisonPoint(() => input.message.records.map((r) => r.content));
      const list = byShard.get(input.message.shard) ?? [];
      list.push({ msg, input });
      byShard.set(input.message.shard, list);
    }
    await Promise.all([...byShard].map(([shard, items]) => this.writeShard(shard, items)));
    timer();
  }

  private async writeShard(shard: number, items: Item[]): Promise<void> {
    if (!this.fenceHolds()) return;
    const result = await this.write(shard, items);
    if (!result) return;
    this.countRecords(result);
    items = await this.rejectOtherModel(result.otherModel, items);
    if (!this.fenceHolds() || items.length === 0) return;
    // a completion an earlier delivery recorded may have been announced: the outbox checks
    const completedNow = result.completed.filter((u) => u.completedNow);
    const { committedAtMs } = result;
    for (const { msg } of items)
      observeStage(this.deps.metrics, 'write', msg.receivedAtMs, committedAtMs);
    await this.deps.announcer.announce(shard, completedNow, items[0]!.input.message.embedder, {
      committedAtMs,
      headers: traceHeaders(items, committedAtMs),
    });
    hitFaultPoint('after-event-before-ack');
    if (!this.fenceHolds()) return;
    for (const { msg } of items) msg.ack();
    this.deps.metrics.ingestMessages.inc({ stage: 'write', outcome: 'ok' }, items.length);
  }

  /**
   * The shard transaction. A stall error (disk full, I/O) is retried here, the messages
   * kept alive, until it succeeds or the writer stops or loses its lease (then they are
   * left unsettled, for redelivery); any other failure settles them by its code.
   */
  private async write(shard: number, items: Item[]) {
    for (let attempt = 0; ; attempt++) {
      try {
        const result = await this.deps.store.writeShard(
          shard,
          items.map((i) => i.input),
          this.deps.fence,
        );
        this.stall.clear(shard);
        return result;
      } catch (err) {
        if (!this.fenceHolds()) return undefined; // left unsettled, for the new owner
        const reason = stallReason(err);
        if (!reason) return void (await this.failAll(items, err));
        this.stall.enter(shard, reason, err);
        await new Promise((resolve) => setTimeout(resolve, stallDelayMs(attempt)));
        if (this.stopping || !this.fenceHolds()) return undefined;
      }
    }
  }

  private failAll(items: Item[], err: unknown): Promise<void[]> {
    const failure = new AkoshaError('SINK_UNAVAILABLE', toAkoshaError(err).message, {
      cause: err,
    });
    return Promise.all(items.map((i) => this.fail(i.msg, failure)));
  }

  /** Chunks the store did not take (another model's vectors) are dead-lettered; the rest go on. */
  private async rejectOtherModel(rejected: ChunkInput[], items: Item[]): Promise<Item[]> {
    if (rejected.length === 0) return items;
    const other = new Set(rejected);
    const model = this.deps.store.model;
    const failing = items.filter((i) => other.has(i.input));
    await Promise.all(
      failing.map(({ msg, input }) => {
        const why = `embedded by ${input.message.embedder.model}, the hot tier holds ${model}`;
        return this.fail(msg, new AkoshaError('EMBEDDER_MISMATCH', why));
      }),
    );
    return items.filter((i) => !other.has(i.input));
  }

  private fenceHolds(): boolean {
    return this.deps.fence?.() ?? true;
  }

  private countRecords(result: ShardWriteResult): void {
    for (const chunk of result.chunks.filter((c) => !c.redelivered)) {
      this.deps.metrics.ingestRecords.inc({ outcome: 'stored' }, chunk.stored.length);
      this.deps.metrics.hotRecords.inc(chunk.stored.length);
      this.deps.metrics.ingestRecords.inc({ outcome: 'duplicate' }, chunk.duplicate.length);
    }
  }

  private async fail(msg: PulledMsg, err: AkoshaError): Promise<void> {
    const outcome = await settleFailure(msg, err, 'write', {
      ...this.deps,
      retry: this.options.retry,
    });
    this.deps.metrics.ingestMessages.inc({ stage: 'write', outcome });
  }
}

/** The events' trace headers of the traced chunks among `items`, by upload; none when untraced. */
function traceHeaders(items: Item[], committedAtMs: number | undefined) {
  let traces: Map<string, MsgHdrs> | undefined;
  for (const { msg, input } of items) {
    const trace = nextTrace(msg.headers, {
      [TRACE.embeddedStored]: storedAtMs(msg),
      [TRACE.writeReceived]: msg.receivedAtMs,
      [TRACE.commit]: committedAtMs,
    });
    if (!trace) continue;
    traces ??= new Map();
    traces.set(uploadKey(input.message.system_id, input.message.upload_id), trace);
  }
  return traces;
}
