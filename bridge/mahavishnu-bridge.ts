import { headers, type NatsConnection } from '@nats-io/transport-node';
import { Registry } from 'prom-client';
import { systemClock, type Clock } from '../infra/clock';
import type { Logger } from '../infra/logger';
import {
  KvClaimStore,
  LocalScheduler,
  MemoryClaimStore,
  type ClaimStore,
  type JobContext,
} from '../scheduler/local-scheduler';
import { Breaker, isBreakerOpenError, type BreakerOptions, type BreakerState } from './breaker';
import {
  DEFAULT_MAHAVISHNU_URL,
  MahavishnuClient,
  MahavishnuError,
  type ToolValue,
} from './mahavishnu-client';
import {
  createBridgeMetrics,
  setBreakerStateGauge,
  type BridgeMetrics,
  type CallOutcome,
} from './metrics';

export const JOB_PERIODS_MS = {
  daily_ingest_check: 24 * 3_600_000,
  tier_transition: 3_600_000,
  health_check: 60_000,
} as const;

export type JobName = keyof typeof JOB_PERIODS_MS;
export const JOB_NAMES = Object.keys(JOB_PERIODS_MS) as JobName[];

/** A job's local work (fallback mode). `() => Promise<void>` fits too. */
export type JobHandler = (ctx: JobContext) => Promise<void>;

/** The MCP tool call that asks Mahavishnu to run a job. */
export interface RemoteCall {
  tool: string;
  arguments: Record<string, unknown>;
}

export type BridgeMode = 'normal' | 'fallback';

export interface BridgeStatus {
  mode: BridgeMode;
  breaker_state: BreakerState;
  /** ISO time of the last successful answer from Mahavishnu */
  last_contact: string | null;
  mahavishnu_url: string | null;
}

export interface MahavishnuBridgeOptions {
  /** Mahavishnu's base URL (default http://127.0.0.1:8680); `null` or '' = none: always fallback */
  mahavishnuUrl?: string | null;
  /** per-call HTTP timeout (default 5000 ms) */
  callTimeoutMs?: number;
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
  agingTiers?: string[];
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

type Call = (tool: string, args: Record<string, unknown>) => Promise<ToolValue>;

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
  private readonly breaker: Breaker<Parameters<Call>, ToolValue> | undefined;
  private readonly clock: Clock;
  private readonly handlers: Record<JobName, JobHandler>;
  private scheduler: LocalScheduler | undefined;
  private mode: BridgeMode;
  private lastContact: number | null = null;
  private running = false;
  private stopped = false;

  constructor(private readonly options: MahavishnuBridgeOptions = {}) {
    this.clock = options.clock ?? systemClock;
    this.metrics = options.metrics ?? createBridgeMetrics(options.registry ?? new Registry());
    const url =
      options.mahavishnuUrl === undefined ? DEFAULT_MAHAVISHNU_URL : options.mahavishnuUrl;
    this.client =
      options.client ??
      (url ? new MahavishnuClient({ url, timeoutMs: options.callTimeoutMs ?? 5000 }) : undefined);
    if (this.client) {
      const client = this.client;
      this.breaker = new Breaker<Parameters<Call>, ToolValue>(
        (tool, args) => client.callTool(tool, args),
        { timeoutMs: (options.callTimeoutMs ?? 5000) + 1000, ...options.breaker },
      );
      this.breaker.onStateChange((state) => this.onBreakerState(state));
    }
    this.mode = this.client ? 'normal' : 'fallback';
    this.handlers = { ...this.defaultHandlers(), ...definedHandlers(options.handlers) };
    this.metrics.mode.set(this.mode === 'normal' ? 1 : 0);
    setBreakerStateGauge(this.metrics, this.breaker?.state ?? 'closed');
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
      { mahavishnu_url: this.client?.url ?? null, mode: this.mode },
      'mahavishnu bridge started',
    );
  }

  /** Stops scheduling, waits for runs in flight, stops the breaker's timers. Final. */
  async stop(): Promise<void> {
    if (this.stopped) return;
    this.stopped = true;
    this.running = false;
    await this.scheduler?.stop();
    this.breaker?.shutdown();
  }

  private openKvClaims(nc: NatsConnection): Promise<KvClaimStore> {
    const { claimBucket, claimTtlMs } = this.options;
    return KvClaimStore.open(nc, {
      ...(claimBucket === undefined ? {} : { bucket: claimBucket }),
      ...(claimTtlMs === undefined ? {} : { ttlMs: claimTtlMs }),
    });
  }

  status(): BridgeStatus {
    return {
      mode: this.mode,
      breaker_state: this.breaker?.state ?? 'closed',
      last_contact: this.lastContact === null ? null : new Date(this.lastContact).toISOString(),
      mahavishnu_url: this.client?.url ?? null,
    };
  }

  /** One job in one window: Mahavishnu first (normal), the local handler otherwise (fallback). */
  private async runJob(job: JobName, ctx: JobContext): Promise<void> {
    const requestedAt = new Date(this.clock.now()).toISOString();
    if (this.breaker && (await this.delegate(this.breaker, job, ctx, requestedAt))) {
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

  /** Asks Mahavishnu to run the job; true when it accepted. */
  private async delegate(
    breaker: Breaker<Parameters<Call>, ToolValue>,
    job: JobName,
    ctx: JobContext,
    requestedAt: string,
  ): Promise<boolean> {
    const call = (this.options.remoteCall ?? this.defaultRemoteCall.bind(this))(
      job,
      ctx,
      requestedAt,
    );
    try {
      const result = await breaker.fire(call.tool, call.arguments);
      this.lastContact = this.clock.now();
      this.metrics.calls.inc({ outcome: 'ok' });
      this.setMode('normal');
      this.options.log?.debug({ job, window: ctx.window, result }, 'mahavishnu ran the job');
      return true;
    } catch (err) {
      const outcome = callOutcome(err);
      this.metrics.calls.inc({ outcome });
      this.setMode('fallback');
      const log = this.options.log;
      log?.[outcome === 'rejected' ? 'debug' : 'warn'](
        { job, window: ctx.window, outcome, reason: (err as Error).message },
        'mahavishnu call failed: running the job locally',
      );
      return false;
    }
  }

  private defaultRemoteCall(job: JobName, ctx: JobContext, requestedAt: string): RemoteCall {
    return {
      tool: 'trigger_workflow',
      arguments: {
        adapter: this.options.workflowAdapter ?? 'prefect',
        task_type: `akosha_${job}`,
        tag: this.options.workflowTag ?? 'akosha',
        params: {
          source: 'akosha',
          job,
          window: ctx.window,
          window_start: new Date(ctx.windowStartMs).toISOString(),
          period_ms: ctx.periodMs,
          requested_at: requestedAt,
        },
      },
    };
  }

  private onBreakerState(state: BreakerState): void {
    setBreakerStateGauge(this.metrics, state);
    if (state === 'open') this.setMode('fallback');
    this.options.log?.info({ breaker_state: state }, 'mahavishnu breaker state changed');
  }

  private setMode(mode: BridgeMode): void {
    if (this.mode === mode) return;
    this.mode = mode;
    this.metrics.mode.set(mode === 'normal' ? 1 : 0);
    this.options.log?.info({ mode }, `mahavishnu bridge: ${mode} mode`);
  }

  private defaultHandlers(): Record<JobName, JobHandler> {
    const log = this.options.log;
    return {
      daily_ingest_check: async (ctx) => {
        log?.info({ window: ctx.window }, 'daily ingest check: no handler plugged in');
      },
      tier_transition: (ctx) => this.publishAgingEvents(ctx),
      health_check: async () => {
        if (this.options.nc) await withTimeout(this.options.nc.flush(), 5000, 'nats flush');
      },
    };
  }

  /** `{schema_version: 1, tier, requested_at, window}` on `akosha.aging.<tier>`, one per tier. */
  private async publishAgingEvents(ctx: JobContext): Promise<void> {
    const nc = this.options.nc;
    if (!nc) throw new Error('tier_transition: no NATS connection to publish aging events on');
    const requestedAt = new Date(this.clock.now()).toISOString();
    for (const tier of this.options.agingTiers ?? ['hot', 'warm']) {
      const h = headers();
      h.set('Nats-Msg-Id', `aging:${tier}:${ctx.window}`);
      const event = { schema_version: 1, tier, requested_at: requestedAt, window: ctx.window };
      nc.publish(`akosha.aging.${tier}`, JSON.stringify(event), { headers: h });
    }
    await withTimeout(nc.flush(), 5000, 'nats flush');
  }
}

/** Rejects when `promise` takes longer than `ms`, so that a stuck connection cannot hold a job. */
function withTimeout<T>(promise: Promise<T>, ms: number, what: string): Promise<T> {
  let timer: NodeJS.Timeout | undefined;
  const timeout = new Promise<never>((_, reject) => {
    timer = setTimeout(() => reject(new Error(`${what}: no answer within ${ms} ms`)), ms);
  });
  return Promise.race([promise, timeout]).finally(() => clearTimeout(timer));
}

function callOutcome(err: unknown): CallOutcome {
  if (isBreakerOpenError(err)) return 'rejected';
  const code = (err as { code?: unknown } | null)?.code;
  if (code === 'ESHUTDOWN') return 'rejected';
  if (code === 'ETIMEDOUT') return 'timeout';
  if (err instanceof MahavishnuError && err.code === 'MAHAVISHNU_TIMEOUT') return 'timeout';
  return 'error';
}

function definedHandlers(
  handlers: Partial<Record<JobName, JobHandler>> | undefined,
): Partial<Record<JobName, JobHandler>> {
  const out: Partial<Record<JobName, JobHandler>> = {};
  for (const name of JOB_NAMES) {
    const handler = handlers?.[name];
    if (handler) out[name] = handler;
  }
  return out;
}
