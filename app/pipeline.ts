import { jetstream } from '@nats-io/jetstream';
import { httpsOptions, type Readiness } from '../api';
import { checkHttpExposure } from '../auth';
import { DeadLetterPublisher, SuspectLog } from '../consumers';
import { createEmbedder, type Embedder } from '../embedding';
import {
  type AkoshaConfig,
  connectOrStartNats,
  createMetrics,
  type Logger,
  logNatsStatus,
  type Metrics,
  type NatsHandle,
  settleWithin,
} from '../infra';
import { type GraphStore, type HotStore, openGraphStore, type TierMover } from '../storage';
import { applyTopology } from '../streams';
import { writesGraph } from './graph-stage';
import { closeWithoutAcking } from './shutdown';
import { mergeReadiness, type Stage } from './stage';
import { httpOf, stagesFor } from './stage-list';
import type { StageContext } from './stages';
import { openWriterState, type WriterState } from './writer-state';
import type { Role } from './roles';

/** Everything one process runs: the stages named by its roles, sharing one connection. */
export class Pipeline {
  private closing?: Promise<void>;
  private consuming = false;
  /** the stages its roles pick, in start order (app/stage-list.ts) */
  private stages: Stage[] = [];
  /** those whose start() was called: stopped in reverse */
  private readonly started: Stage[] = [];
  private graphStore?: GraphStore;
  private fail: (err: Error) => void = () => undefined;
  /** Settles when this process must not go on (its writer lease is lost): close, exit non-zero. */
  readonly failure = new Promise<Error>((resolve) => (this.fail = resolve));

  private constructor(
    readonly config: AkoshaConfig,
    readonly roles: Role[],
    readonly nats: NatsHandle,
    readonly metrics: Metrics,
    readonly embedder: Embedder,
    readonly log: Logger,
    private readonly writer?: WriterState,
  ) {}

  get store(): HotStore | undefined {
    return this.writer?.store;
  }

  get mover(): TierMover | undefined {
    return this.writer?.mover;
  }

  /** the knowledge graph, in the process that writes it (AKOSHA_GRAPH_WRITER) */
  get graph(): GraphStore | undefined {
    return this.graphStore;
  }

  /** where it listens, once started: the API (role `api`), else the probe listener */
  get httpAddress(): string | undefined {
    return httpOf(this.stages)?.address;
  }

  static async start(config: AkoshaConfig, roles: Role[], log: Logger): Promise<Pipeline> {
    // every process listens (the API or the probes): unusable certificate files, or a
    // listener open to other machines without authentication, fail here
    if (config.http.tls) httpsOptions(config.http.tls);
    checkHttpExposure(config.http, config.auth, log);
    // a missing or wrong model fails here, before anything is consumed
    const embedder = await createEmbedder(config.embedder);
    const nats = await connectOrStartNats(config.nats, log).catch(async (err: unknown) => {
      await embedder.close();
      throw err;
    });
    logNatsStatus(nats.nc, log);
    let pipeline: Pipeline | undefined;
    try {
      await applyTopology(nats.nc, config.streams, log);
      const metrics = createMetrics();
      const writer = roles.includes('writer')
        ? await openWriterState(nats, config, embedder.info.model, log, metrics)
        : undefined;
      pipeline = new Pipeline(config, roles, nats, metrics, embedder, log, writer);
      if (writer) metrics.hotRecords.set(await writer.store.count());
      await pipeline.startStages();
      return pipeline;
    } catch (err) {
      // stages already started stop, and the writer lease is released: else it would renew
      // on, and no writer could claim those groups while this process lives
      if (pipeline) await pipeline.close().catch(() => undefined);
      else {
        await nats.nc.close();
        await nats.local?.stop();
        await embedder.close();
      }
      throw err;
    }
  }

  /** Builds the stages the roles pick and starts them in order. */
  private async startStages(): Promise<void> {
    if (writesGraph(this.config, this.writer !== undefined))
      this.graphStore = await openGraphStore(this.config.graph.file);
    const parts = { roles: this.roles, writer: this.writer, graph: this.graphStore };
    this.stages = stagesFor(await this.stageContext(), {
      ...parts,
      readiness: () => this.readiness(),
    });
    for (const stage of this.stages) {
      void stage.failure?.then((err) => this.fail(err));
      this.started.push(stage); // before start(): one that fails part-way is stopped too
      await stage.start();
    }
    this.consuming = true;
  }

  private async stageContext(): Promise<StageContext> {
    const { nc } = this.nats;
    const js = jetstream(nc);
    return {
      config: this.config,
      embedder: this.embedder,
      retry: {
        maxDeliver: this.config.streams.maxDeliver,
        backoffMs: this.config.streams.backoffMs,
      },
      common: {
        nc,
        js,
        suspects: await SuspectLog.open(nc),
        deadLetters: new DeadLetterPublisher(js, this.metrics),
        metrics: this.metrics,
        log: this.log,
      },
    };
  }

  /** Ready while NATS is up, every stage started, and no stage holds readiness back. */
  readiness(): Readiness {
    const stages = mergeReadiness(this.stages);
    const natsUp = !this.nats.nc.isClosed() && !this.closing;
    return {
      ready: natsUp && this.consuming && stages.ready,
      ...stages.report,
      consuming: this.consuming && !this.closing,
      nats: this.nats.nc.getServer(),
      roles: this.roles,
      embedder: `${this.embedder.info.name}/${this.embedder.info.model}`,
      natsSync: this.nats.sync,
    };
  }

  /**
   * Drains: stop pulling, finish and ack in-flight batches, close stores and connections.
   * Past AKOSHA_DRAIN_TIMEOUT_MS (NATS gone, a batch stuck) it closes without acking. Idempotent.
   */
  close(): Promise<void> {
    this.closing ??= this.shutdown();
    return this.closing;
  }

  private async shutdown(): Promise<void> {
    this.consuming = false;
    const { drainTimeoutMs } = this.config;
    const drained = await settleWithin(this.drain(), drainTimeoutMs, this.log, 'drain');
    if (drained === 'done') return this.log.info('pipeline closed');
    this.log.warn(
      { drainTimeoutMs, drained },
      'drain did not finish: closing without acking (unacked messages are redelivered)',
    );
    await closeWithoutAcking(
      [
        ['tier recovery', () => void this.writer?.recovery.stop()],
        ['writer lease', () => this.writer?.lease.stop()], // it lapses after its TTL
        ['tier mover', () => this.writer?.mover.close()],
        ['hot store', () => this.writer?.store.close()],
        ['graph store', () => this.graphStore?.close()],
        ['embedder', () => this.embedder.close()],
        ['nats connection', () => this.nats.nc.close()],
        ['local nats-server', () => this.nats.local?.stop()],
      ],
      this.log,
    );
    this.log.info('pipeline closed without draining');
  }

  private async drain(): Promise<void> {
    for (const stage of [...this.started].reverse()) await stage.stop();
    await this.graphStore?.close();
    await this.writer?.recovery.stop();
    await this.writer?.mover.close();
    await this.writer?.store.close();
    await this.writer?.lease.release();
    await this.embedder.close();
    await this.nats.nc.drain();
    await this.nats.local?.stop();
  }
}
