import type { JetStreamClient } from '@nats-io/jetstream';
import type { NatsConnection } from '@nats-io/transport-node';
import { decodeVector } from '../embedding/vector';
import { AkoshaError, issuesFrom, toAkoshaError } from '../infra/errors';
import { hitFaultPoint } from '../infra/fault-point';
import type { Logger } from '../infra/logger';
import type { Metrics } from '../infra/metrics';
import { EmbeddedMessage } from '../schemas/embedded';
import { EMBEDDING_DIM } from '../schemas/record';
import { STREAM, writerConsumerName } from '../streams/definitions';
import { subjects } from '../streams/subjects';
import type { HotStore } from '../storage/hot-store';
import type { ShardWriteResult } from '../storage/shard-transaction';
import type { ChunkInput } from '../storage/write-plan';
import { LoopGroup } from './loop-group';
import type { PulledMsg } from './pulled-message';
import type { DeadLetterPublisher } from './dead-letters';
import { buildIngestedEvent, ingestedMsgId } from './ingest-events';
import { settleFailure, type RetryPolicy } from './settle';

export interface ShardWriterOptions {
  groups: number[];
  batchSize: number;
  batchLingerMs: number;
  retry: RetryPolicy;
}

export interface ShardWriterDeps {
  nc: NatsConnection;
  js: JetStreamClient;
  store: HotStore;
  deadLetters: DeadLetterPublisher;
  metrics: Metrics;
  log: Logger;
  /**
   * The writer lease: while it does not hold, nothing is written, announced or acked.
   * The messages are left as they are (no nak): after ack_wait they go to the new owner.
   */
  fence?: () => boolean;
}

/**
 * Shard writer: pulls akosha.embedded.<group>.> for the groups it owns, writes
 * each shard's records in one DuckDB transaction, publishes the ingest-complete
 * event of every upload that is now whole, then acks.
 */
export class EmbeddedConsumer {
  private readonly loops: LoopGroup;

  constructor(
    private readonly deps: ShardWriterDeps,
    private readonly options: ShardWriterOptions,
  ) {
    this.loops = new LoopGroup(deps.nc, deps.log);
  }

  start(): Promise<void> {
    const targets = this.options.groups.map((group) => ({
      stream: STREAM.embedded,
      consumer: writerConsumerName(group),
    }));
    return this.loops.start(targets, this.options, (batch) => this.handleBatch(batch));
  }

  stop(): Promise<void> {
    return this.loops.stop();
  }

  async handleBatch(batch: PulledMsg[]): Promise<void> {
    const timer = this.deps.metrics.ingestDuration.startTimer({ stage: 'write' });
    const byShard = new Map<number, { msg: PulledMsg; input: ChunkInput }[]>();
    for (const msg of batch) {
      const input = this.decode(msg);
      if (input instanceof AkoshaError) {
        await this.fail(msg, input);
        continue;
      }
      const list = byShard.get(input.message.shard) ?? [];
      list.push({ msg, input });
      byShard.set(input.message.shard, list);
    }
    await Promise.all([...byShard].map(([shard, items]) => this.writeShard(shard, items)));
    timer();
  }

  private decode(msg: PulledMsg): ChunkInput | AkoshaError {
    try {
      const parsed = EmbeddedMessage.safeParse(JSON.parse(Buffer.from(msg.data).toString('utf8')));
      if (!parsed.success)
        return new AkoshaError('SCHEMA_INVALID', undefined, {
          issues: issuesFrom(parsed.error.issues),
        });
      const vectors = parsed.data.records.map((r) => decodeVector(r.vector, EMBEDDING_DIM));
      return { message: parsed.data, vectors };
    } catch (err) {
      return new AkoshaError('MALFORMED_JSON', (err as Error).message);
    }
  }

  private async writeShard(
    shard: number,
    items: { msg: PulledMsg; input: ChunkInput }[],
  ): Promise<void> {
    let result: ShardWriteResult & { otherModel: ChunkInput[] };
    if (!this.fenceHolds()) return;
    try {
      result = await this.deps.store.writeShard(
        shard,
        items.map((i) => i.input),
      );
    } catch (err) {
      const failure = new AkoshaError('SINK_UNAVAILABLE', toAkoshaError(err).message, {
        cause: err,
      });
      await Promise.all(items.map((i) => this.fail(i.msg, failure)));
      return;
    }
    this.countRecords(result);
    items = await this.rejectOtherModel(result.otherModel, items);
    if (!this.fenceHolds()) return;
    try {
      await this.publishEvents(shard, result, items);
    } catch (err) {
      const failure = new AkoshaError('PUBLISH_FAILED', (err as Error).message, { cause: err });
      await Promise.all(items.map((i) => this.fail(i.msg, failure)));
      return;
    }
    hitFaultPoint('after-event-before-ack');
    if (!this.fenceHolds()) return;
    for (const { msg } of items) msg.ack();
    this.deps.metrics.ingestMessages.inc({ stage: 'write', outcome: 'ok' }, items.length);
  }

  /** Chunks the store did not take (another model's vectors) are dead-lettered; the rest go on. */
  private async rejectOtherModel(
    rejected: ChunkInput[],
    items: { msg: PulledMsg; input: ChunkInput }[],
  ): Promise<{ msg: PulledMsg; input: ChunkInput }[]> {
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

  private async publishEvents(
    shard: number,
    result: ShardWriteResult,
    items: { input: ChunkInput }[],
  ): Promise<void> {
    const pending = result.completed.filter((u) => !u.eventPublished);
    await Promise.all(
      pending.map(async (u) => {
        const source = items.find((i) => i.input.message.upload_id === u.uploadId) ?? items[0]!;
        const event = buildIngestedEvent(u, shard, source.input.message.embedder);
        await this.deps.js.publish(subjects.ingested(u.systemId), JSON.stringify(event), {
          msgID: ingestedMsgId(u),
        });
        this.deps.store.markEventPublished(shard, u.systemId, u.uploadId);
        this.deps.metrics.ingestedEvents.inc();
      }),
    );
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
