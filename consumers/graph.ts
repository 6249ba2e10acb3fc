import type { NatsConnection } from '@nats-io/transport-node';
import { AkoshaError, type Logger, type Metrics, toAkoshaError } from '../infra';
import type { GraphMessage } from '../schemas';
import type { GraphApplyOutcome, GraphStore } from '../storage';
import { GRAPH_CONSUMER, STREAM } from '../streams';
import type { BatchLoopOptions } from './batch-loop';
import type { DeadLetterPublisher } from './dead-letters';
import { decodeGraph } from './decode-graph';
import { LoopGroup } from './loop-group';
import { guardCrashLoops } from './poison-guard';
import type { PulledMsg } from './pulled-message';
import { settleFailure, type RetryPolicy } from './settle';
import type { SuspectLog } from './suspects';

export interface GraphStageOptions extends BatchLoopOptions {
  /** the stream's max message size: a larger message is refused before parsing */
  maxMessageBytes: number;
  retry: RetryPolicy;
}

export interface GraphStageDeps {
  nc: NatsConnection;
  store: GraphStore;
  deadLetters: DeadLetterPublisher;
  metrics: Metrics;
  log: Logger;
  suspects?: SuspectLog | undefined;
  /** the writer lease, when the stage runs beside the shard writer: no apply, no ack without it */
  fence?: () => boolean;
}

/**
 * Graph writer, consumer `graph` on akosha.graph.>: decode and check each message, apply it
 * to the graph store, ack once the apply committed. Applying is idempotent (the newest
 * statement per system and source id wins), so a redelivery changes nothing. A bad message
 * is dead-lettered (stage graph); a store failure is nak'ed with backoff.
 */
export class GraphConsumer {
  private readonly loops: LoopGroup;

  constructor(
    private readonly deps: GraphStageDeps,
    private readonly options: GraphStageOptions,
  ) {
    this.loops = new LoopGroup(deps.nc, deps.log);
  }

  start(): Promise<void> {
    const target = { stream: STREAM.graph, consumer: GRAPH_CONSUMER };
    const deps = { ...this.deps, retry: this.options.retry };
    const handle = guardCrashLoops((batch) => this.handleBatch(batch), 'graph', deps);
    return this.loops.start([target], this.options, handle);
  }

  stop(): Promise<void> {
    return this.loops.stop();
  }

  /** In stream order, one message at a time: the store has a single writer. */
  async handleBatch(batch: PulledMsg[]): Promise<void> {
    const timer = this.deps.metrics.ingestDuration.startTimer({ stage: 'graph' });
    for (const msg of batch) await this.handle(msg);
    timer();
  }

  private async handle(msg: PulledMsg): Promise<void> {
    const message = decodeGraph(msg.subject, msg.data, this.options.maxMessageBytes);
    if (message instanceof AkoshaError) return this.fail(msg, message);
    if (!this.fenceHolds()) return; // left unsettled, for the lease's new owner
    let outcome: GraphApplyOutcome;
    try {
      outcome = await this.deps.store.apply(message);
    } catch (err) {
      const cause = toAkoshaError(err);
      const failure = new AkoshaError('SINK_UNAVAILABLE', cause.message, { cause: err });
      return this.fail(msg, failure, message);
    }
    msg.ack();
    this.count(outcome);
  }

  private count(outcome: GraphApplyOutcome): void {
    const { ingestMessages, graphStatements } = this.deps.metrics;
    ingestMessages.inc({ stage: 'graph', outcome: 'ok' });
    graphStatements.inc({ kind: 'entity', outcome: 'written' }, outcome.entitiesWritten);
    graphStatements.inc({ kind: 'relation', outcome: 'written' }, outcome.relationsWritten);
    graphStatements.inc({ kind: 'mention', outcome: 'written' }, outcome.mentionsWritten);
    graphStatements.inc({ kind: 'any', outcome: 'unchanged' }, outcome.unchanged);
  }

  private fenceHolds(): boolean {
    return this.deps.fence?.() ?? true;
  }

  private async fail(msg: PulledMsg, err: AkoshaError, message?: GraphMessage): Promise<void> {
    const ctx = message && { systemId: message.system_id, uploadId: message.batch_id };
    const settleDeps = { ...this.deps, retry: this.options.retry };
    const outcome = await settleFailure(msg, err, 'graph', settleDeps, ctx);
    this.deps.metrics.ingestMessages.inc({ stage: 'graph', outcome });
  }
}
