import type { NatsConnection } from '@nats-io/transport-node';
import { Registry } from 'prom-client';
import { type Clock, type Logger, MAHAVISHNU_DEFAULTS, systemClock } from '../infra';
import {
  type ClaimStore,
  type JobContext,
  KvClaimStore,
  LocalScheduler,
  MemoryClaimStore,
} from '../scheduler';
import type { BreakerOptions } from './breaker';
import { BridgeState, type BridgeStatus } from './bridge-state';
import {
  defaultRemoteCall,
  JOB_NAMES,
  JOB_PERIODS_MS,
  type JobHandler,
  type JobName,
  type RemoteCall,
} from './jobs';
import { localHandlers } from './local-jobs';
import { DEFAULT_MAHAVISHNU_URL, MahavishnuClient } from './mahavishnu-client';
import { createBridgeMetrics, type BridgeMetrics } from './metrics';
import { RemoteRunner } from './remote-runner';
import type { AgingTier } from '../streams';

// Part of the bridge's API: its callers name jobs, plug in handlers and read its status.
export { JOB_NAMES, JOB_PERIODS_MS, type JobHandler, type JobName, type RemoteCall } from './jobs';
export type { BridgeMode, BridgeStatus } from './bridge-state';

export interface MahavishnuBridgeOptions {
  /** Mahavishnu's base URL (default http://127.0.0.1:8680); `null` or '' = none: always fallback */
  mahavishnuUrl?: string | null;
  /** per-call HTTP timeout (default 5000 ms) */
  callTimeoutMs?: number;
  /** bearer token for Mahavishnu, and the PEM file of the CA of its https certificate */
  token?: string;
  caFile?: string;
  /** breaker settings; its timeout defaults to callTimeoutMs + 1000 */
  breaker?: BreakerOptions;
  /** for window claims in a KV bucket shared by every process, and the aging events */
  nc?: NatsConnection;
  /** KV bucket for claims (default akosha_scheduler) and how long claims are kept (48 h) */
  claimBucket?: string;
  claimTtlMs?: number;
  /** overrides the claim store (KV when `nc` is given, else in memory) */
  claims?: ClaimStore;
  /** local handlers by job; missing ones use the defaults (tier_transition publishes aging events) */
  handlers?: Partial<Record<JobName, JobHandler>>;
  periodsMs?: Partial<Record<JobName, number>>;
  /** tiers whose aging is requested by tier_transition, one event each (default hot, warm) */
  agingTiers?: AgingTier[];
  /** Mahavishnu workflow adapter and repo tag for trigger_workflow (default prefect, akosha) */
  workflowAdapter?: string;
  workflowTag?: string;
  /** overrides the tool call per job (default: trigger_workflow with task_type akosha_<job>) */
  remoteCall?: (job: JobName, ctx: JobContext, requestedAt: string) => RemoteCall;
  clock?: Clock;
  /** how often the scheduler reads the clock (default 1000 ms) */
  tickMs?: number;
  log?: Logger;
  /** metrics are registered here (default: a private registry); or pass `metrics` */
  registry?: Registry;
  metrics?: BridgeMetrics;
  /** injected client (tests); otherwise built from mahavishnuUrl and callTimeoutMs */
  client?: MahavishnuClient;
  /** identifies this process in window claims */
  owner?: string;
}

/**
 * Runs Akosha's periodic jobs once per window. In normal mode Mahavishnu is asked to
 * run each job (through a circuit breaker); when the call fails, the breaker is open
 * or no Mahavishnu is configured, the job's local handler runs instead (fallback).
 * Fallback is not sticky: a successful call — the breaker's half-open probe — brings
 * the bridge back to normal.
 */
export class MahavishnuBridge {
  readonly metrics: BridgeMetrics;
  readonly client: MahavishnuClient | undefined;
  private readonly remote: RemoteRunner | undefined;
  private readonly state: BridgeState;
  private readonly clock: Clock;
  private readonly handlers: Record<JobName, JobHandler>;
  private scheduler: LocalScheduler | undefined;
  private running = false;
  private stopped = false;

  constructor(private readonly options: MahavishnuBridgeOptions = {}) {
    this.clock = options.clock ?? systemClock;
    this.metrics = options.metrics ?? createBridgeMetrics(options.registry ?? new Registry());
    this.client = options.client ?? clientFor(options);
    this.state = new BridgeState(this.metrics, this.client ? 'normal' : 'fallback', options.log);
    if (this.client) {
      this.remote = new RemoteRunner(this.client, {
        state: this.state,
        metrics: this.metrics,
        clock: this.clock,
        log: options.log,
        callTimeoutMs: options.callTimeoutMs ?? MAHAVISHNU_DEFAULTS.callTimeoutMs,
        breaker: options.breaker,
      });
    }
    this.handlers = localHandlers(options.handlers, {
      nc: options.nc,
      log: options.log,
      clock: this.clock,
      agingTiers: options.agingTiers,
    });
    this.state.initGauges(this.remote?.breakerState ?? 'closed');
  }

  /** Opens the claim store (KV when a NATS connection is given) and starts the schedule. */
  async start(): Promise<void> {
    if (this.stopped) throw new Error('a stopped MahavishnuBridge cannot be restarted');
    if (this.running) return;
    this.running = true;
    const o = this.options;
    let claims: ClaimStore;
    try {
      claims = o.claims ?? (o.nc ? await this.openKvClaims(o.nc) : new MemoryClaimStore());
    } catch (err) {
      this.running = false;
      throw err;
    }
    if (this.stopped) return; // stop() was called while the claim store opened
    this.scheduler = new LocalScheduler({
      jobs: JOB_NAMES.map((name) => ({
        name,
        periodMs: o.periodsMs?.[name] ?? JOB_PERIODS_MS[name],
        run: (ctx) => this.runJob(name, ctx),
      })),
      clock: this.clock,
      claims,
      ...(o.tickMs === undefined ? {} : { tickMs: o.tickMs }),
      ...(o.owner === undefined ? {} : { owner: o.owner }),
      ...(o.log === undefined ? {} : { log: o.log }),
    });
    this.scheduler.start();
    o.log?.info(
      { mahavishnu_url: this.client?.url ?? null, mode: this.state.mode },
      'mahavishnu bridge started',
    );
  }

  /** Stops scheduling, waits for runs in flight, stops the breaker's timers. Final. */
  async stop(): Promise<void> {
    if (this.stopped) return;
    this.stopped = true;
    this.running = false;
    await this.scheduler?.stop();
    this.remote?.shutdown();
  }

  private openKvClaims(nc: NatsConnection): Promise<KvClaimStore> {
    const { claimBucket, claimTtlMs } = this.options;
    return KvClaimStore.open(nc, {
      ...(claimBucket === undefined ? {} : { bucket: claimBucket }),
      ...(claimTtlMs === undefined ? {} : { ttlMs: claimTtlMs }),
    });
  }

  status(): BridgeStatus {
    return this.state.status(this.remote?.breakerState ?? 'closed', this.client?.url ?? null);
  }

  /** One job in one window: Mahavishnu first (normal), the local handler otherwise (fallback). */
  private async runJob(job: JobName, ctx: JobContext): Promise<void> {
    const requestedAt = new Date(this.clock.now()).toISOString();
    if (this.remote && (await this.remote.run(job, ctx, this.remoteCall(job, ctx, requestedAt)))) {
      this.metrics.jobsRun.inc({ job, mode: 'normal' });
      return;
    }
    this.metrics.jobsRun.inc({ job, mode: 'fallback' });
    try {
      await this.handlers[job](ctx);
    } catch (err) {
      this.metrics.jobsFailed.inc({ job, mode: 'fallback' });
      throw err;
    }
  }

  private remoteCall(job: JobName, ctx: JobContext, requestedAt: string): RemoteCall {
    const custom = this.options.remoteCall;
    return custom
      ? custom(job, ctx, requestedAt)
      : defaultRemoteCall(job, ctx, requestedAt, this.options);
  }
}

/** No client when the URL is null or '': then every job runs locally. */
function clientFor(options: MahavishnuBridgeOptions): MahavishnuClient | undefined {
  const url = options.mahavishnuUrl === undefined ? DEFAULT_MAHAVISHNU_URL : options.mahavishnuUrl;
  if (!url) return undefined;
  return new MahavishnuClient({
    url,
    timeoutMs: options.callTimeoutMs ?? MAHAVISHNU_DEFAULTS.callTimeoutMs,
    ...(options.token && { token: options.token }),
    ...(options.caFile && { caFile: options.caFile }),
  });
}
