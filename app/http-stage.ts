import { jetstream } from '@nats-io/jetstream';
import type { FastifyInstance } from 'fastify';
import { buildHttpServer, buildProbeServer, type Readiness } from '../api';
import { type Authenticator, createAuthenticator } from '../auth';
import { NatsAuditSink } from '../audit';
import type { GraphStore, HotStore, TierMover } from '../storage';
import { startQueryBackend, type QuerySide } from './query-service';
import type { Stage } from './stage';
import type { StageContext } from './stages';

/** What the API serves from besides the context: this process's stores, when it has them. */
export interface HttpSources {
  store?: HotStore | undefined;
  mover?: TierMover | undefined;
  graph?: GraphStore | undefined;
  readiness: () => Readiness;
}

/** The routes a listener serves: the whole API, or only /health, /ready and /metrics. */
type Routes = 'api' | 'probes';

/** The HTTP API and MCP (role `api`). */
export const httpStage = (ctx: StageContext, sources: HttpSources) =>
  new HttpStage(ctx, sources, 'api');

/** /health, /ready and /metrics of a process without role `api`, on the same host and port. */
export const probeStage = (ctx: StageContext, readiness: () => Readiness) =>
  new HttpStage(ctx, { readiness }, 'probes');

/**
 * The HTTP listener: the API and MCP, with the search over this process's tiers and its query
 * cache, or the probes alone. Listed before the consumer stages, it stops after them: /ready
 * answers 503 while the process starts or drains.
 */
export class HttpStage implements Stage {
  readonly name: string;
  /** where it listens, once started (https:// when it has a certificate) */
  address?: string;
  private query?: QuerySide | undefined;
  private authenticator?: Authenticator;
  private audit?: NatsAuditSink;
  private app?: FastifyInstance;

  constructor(
    private readonly ctx: StageContext,
    private readonly sources: HttpSources,
    private readonly routes: Routes,
  ) {
    this.name = routes === 'api' ? 'http' : 'probes';
  }

  async start(): Promise<void> {
    const { config, embedder } = this.ctx;
    const { nc, metrics, log } = this.ctx.common;
    const { store, mover, graph } = this.sources;
    const deps = { config, nc, store, mover, graph, embedder, metrics, log };
    if (this.routes === 'api') this.query = await startQueryBackend(deps);
    this.authenticator = createAuthenticator(config.auth, log);
    this.audit = new NatsAuditSink({ js: jetstream(nc), log, dropped: metrics.auditDropped });
    this.app = this.build(this.authenticator, this.audit);
    this.address = await this.app.listen({ host: config.http.host, port: config.http.port });
    log.info({ address: this.address, routes: this.routes }, 'http listening');
  }

  /** Closes the listener (in-flight requests finish), then the query cache; audit events last. */
  async stop(): Promise<void> {
    await this.app?.close();
    await this.query?.stop();
    await this.authenticator?.close();
    await this.audit?.flush();
  }

  private build(authenticator: Authenticator, audit: NatsAuditSink): FastifyInstance {
    const { config, embedder } = this.ctx;
    const { nc, metrics, log } = this.ctx.common;
    const listener = {
      metrics,
      readiness: this.sources.readiness,
      tls: config.http.tls,
      limits: config.http.limits,
      authenticator,
      metricsPublic: config.auth.metricsPublic,
      audit,
      log,
    };
    if (this.routes === 'probes') return buildProbeServer(listener);
    return buildHttpServer({
      ...listener,
      js: jetstream(nc),
      nc,
      maxPayloadBytes: nc.info?.max_payload ?? 1024 * 1024,
      embedder,
      query: this.query?.backend,
      tokensFile: config.auth.tokensFile,
      auditQueries: config.audit.queries,
    });
  }
}
