import { jetstream } from '@nats-io/jetstream';
import type { FastifyInstance } from 'fastify';
import { buildHttpServer } from '../api/http';
import { NatsAuditSink } from '../audit/publisher';
import { httpsOptions } from '../api/tls';
import { checkHttpExposure } from '../auth/exposure';
import { createAuthenticator } from '../auth/authenticator';
import { startQueryService } from './query-service';
import { AdvisoryWatcher } from '../consumers/advisories';
import type { ShardWriter } from '../consumers/shard-writer';
import type { PullTarget } from '../consumers/loop-group';
import { DeadLetterPublisher } from '../consumers/dead-letters';
import { SuspectLog } from '../consumers/suspects';
import { createEmbedder } from '../embedding/factory';
import type { Embedder } from '../embedding/embedder';
import type { AkoshaConfig } from '../infra/config';
import type { Logger } from '../infra/logger';
import { createMetrics, type Metrics } from '../infra/metrics';
import { connectOrStartNats, logNatsStatus, type NatsHandle } from '../infra/nats';
import type { GraphStore } from '../storage/graph/types';
import type { HotStore } from '../storage/hot-store';
import type { TierMover } from '../storage/tiers';
import { applyTopology } from '../streams/apply';
import { CLOUD_CONSUMER, STREAM } from '../streams/definitions';
import { MahavishnuBridge } from '../bridge/mahavishnu-bridge';
import { watchConsumerLag } from './consumer-lag';
import { startGraphStage, writesGraph } from './graph-stage';
import { closeWithoutAcking, settleWithin } from './shutdown';
import { startCloudWatcher } from '../cloud/start-watcher';
import type { CloudWatcher } from '../cloud/watcher';
import {
  startIngestStage,
  startWriterStages,
  type StageContext,
  type StartedStages,
} from './stages';
import { openWriterState, type WriterState } from './writer-state';
import type { Readiness, Role } from './readiness';

/** Everything one process runs: the stages named by its roles, sharing one connection. */
export class Pipeline {
  private closing?: Promise<void>;
  private consuming = false;
  /** consumer stages: stopped together, each finishing what it already pulled */
  private readonly stages: { stop(): Promise<void> }[] = [];
  private readonly stoppers: (() => Promise<void> | void)[] = [];
  private bridge?: MahavishnuBridge;
  private leaseLost?: string;
  private writerStage?: ShardWriter;
  private graphStore?: GraphStore;
  private cloudWatcher?: CloudWatcher;
  private fail: (err: Error) => void = () => undefined;
  /** Settles when this process must not go on (its writer lease is lost): close, exit non-zero. */
  readonly failure = new Promise<Error>((resolve) => (this.fail = resolve));
  httpAddress?: string;

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

  static async start(config: AkoshaConfig, roles: Role[], log: Logger): Promise<Pipeline> {
    // unusable certificate files fail here, before anything is started
    if (roles.includes('api') && config.http.tls) httpsOptions(config.http.tls);
    // a listener open to other machines without authentication fails here
    if (roles.includes('api')) checkHttpExposure(config.http, config.auth, log);
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

  private async startStages(): Promise<void> {
    const { nc } = this.nats;
    const js = jetstream(nc);
    const ctx: StageContext = {
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
    const watched: PullTarget[] = [];
    if (this.roles.includes('ingest')) this.add(await startIngestStage(ctx), watched);
    if (this.writer) {
      const started = await startWriterStages(ctx, this.writer);
      this.writerStage = started.writer;
      this.writer.lease.whenLost((reason) => this.onLeaseLost(reason, started.stages));
      this.add(started, watched);
    }
    if (writesGraph(this.config, this.writer !== undefined)) {
      const writer = this.writer;
      const started = await startGraphStage(ctx, writer && (() => writer.lease.holds()));
      this.graphStore = started.store;
      this.add(started, watched);
    }
    if (this.roles.includes('cloud') && this.config.cloud) {
      const watcher = await startCloudWatcher(
        { ...ctx.common, retry: ctx.retry },
        this.config,
        this.config.cloud,
      );
      this.cloudWatcher = watcher;
      this.stages.push(watcher);
      watched.push({ stream: STREAM.cloud, consumer: CLOUD_CONSUMER });
    }
    const { deadLetters } = ctx.common;
    const advisories = new AdvisoryWatcher({ nc, deadLetters, log: this.log });
    await advisories.start();
    this.stoppers.push(() => advisories.stop());
    this.stoppers.push(watchConsumerLag(nc, watched, this.metrics, this.log));
    this.consuming = true;
    if (this.roles.includes('scheduler')) await this.startBridge();
    if (this.roles.includes('api')) await this.startHttp();
  }

  private add(started: StartedStages, watched: PullTarget[]): void {
    this.stages.push(...started.stages);
    this.stoppers.unshift(...started.stoppers);
    watched.push(...started.watched);
  }

  /** Periodic jobs: run by Mahavishnu while it answers, by the local scheduler otherwise. */
  private async startBridge(): Promise<void> {
    const { bridge } = this.config;
    this.bridge = new MahavishnuBridge({
      mahavishnuUrl: bridge.mahavishnuUrl,
      callTimeoutMs: bridge.callTimeoutMs,
      token: bridge.token,
      caFile: bridge.caFile,
      breaker: bridge.breaker,
      nc: this.nats.nc,
      log: this.log,
      registry: this.metrics.registry,
    });
    await this.bridge.start();
    this.stoppers.push(() => this.bridge?.stop());
  }

  private async startHttp(): Promise<void> {
    const query = this.store
      ? startQueryService({
          config: this.config,
          nc: this.nats.nc,
          store: this.store,
          mover: this.mover,
          embedder: this.embedder,
          metrics: this.metrics,
          log: this.log,
        })
      : undefined;
    if (query) this.stoppers.unshift(query.stop);
    const authenticator = createAuthenticator(this.config.auth, this.log);
    this.stoppers.push(() => authenticator.close());
    // flushed after the listener closed: the last requests' events are kept
    const audit = new NatsAuditSink({
      js: jetstream(this.nats.nc),
      log: this.log,
      dropped: this.metrics.auditDropped,
    });
    this.stoppers.push(() => audit.flush());
    const app: FastifyInstance = buildHttpServer({
      js: jetstream(this.nats.nc),
      nc: this.nats.nc,
      maxPayloadBytes: this.nats.nc.info?.max_payload ?? 1024 * 1024,
      metrics: this.metrics,
      embedder: this.embedder,
      store: this.store,
      mover: this.mover,
      search: query?.search,
      graph: this.graph,
      readiness: () => this.readiness(),
      tls: this.config.http.tls,
      limits: this.config.http.limits,
      tokensFile: this.config.auth.tokensFile,
      authenticator,
      metricsPublic: this.config.auth.metricsPublic,
      audit,
      auditQueries: this.config.audit.queries,
      log: this.log,
    });
    // Fastify's address says https:// when the listener has a certificate
    this.httpAddress = await app.listen({
      host: this.config.http.host,
      port: this.config.http.port,
    });
    this.stoppers.unshift(() => app.close());
    this.log.info({ address: this.httpAddress }, 'http listening');
  }

  /**
   * Another writer may own the groups now: the shard writers stop (a fenced batch is left
   * unacked, for the new owner), and `failure` tells the caller to exit, so that a
   * supervisor restarts this writer and it claims its groups again once they are free.
   */
  private onLeaseLost(reason: string, writerStages: { stop(): Promise<void> }[]): void {
    this.leaseLost = reason;
    this.log.error({ reason }, 'writer lease lost: shard writers stopped, process exits');
    void Promise.all(writerStages.map((s) => s.stop())).finally(() =>
      this.fail(new Error(`writer lease lost: ${reason}`)),
    );
  }

  readiness(): Readiness {
    const stalled = this.writerStage?.stalled;
    const natsUp = !this.nats.nc.isClosed() && !this.closing;
    return {
      ready: natsUp && this.consuming && this.leaseLost === undefined && !stalled,
      ...(this.leaseLost !== undefined && { reason: 'lease lost' }),
      ...(stalled && { storage: stalled }),
      consuming: this.consuming && !this.closing,
      nats: this.nats.nc.getServer(),
      roles: this.roles,
      embedder: `${this.embedder.info.name}/${this.embedder.info.model}`,
      ...(this.bridge && { orchestrator: this.bridge.status() }),
      natsSync: this.nats.sync,
      ...(this.writer && { tierRecoveryPending: this.writer.recovery.pendingShards() }),
      ...(this.cloudWatcher && { cloud: this.cloudWatcher.status() }),
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
    await Promise.all(this.stages.map((stage) => stage.stop()));
    for (const stop of this.stoppers) await stop();
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
