import type { Clock, Logger } from '../infra';
import type { JobContext } from '../scheduler';
import { Breaker, isBreakerOpenError, type BreakerOptions, type BreakerState } from './breaker';
import type { BridgeState } from './bridge-state';
import type { JobName, RemoteCall } from './jobs';
import type { MahavishnuClient } from './mahavishnu-client';
import { MahavishnuError } from './mahavishnu-error';
import type { ToolValue } from './mcp-reply';
import type { BridgeMetrics, CallOutcome } from './metrics';

type Call = (tool: string, args: Record<string, unknown>) => Promise<ToolValue>;

export interface RemoteRunnerDeps {
  state: BridgeState;
  metrics: BridgeMetrics;
  clock: Clock;
  log?: Logger | undefined;
  callTimeoutMs: number;
  breaker?: BreakerOptions | undefined;
}

/**
 * Asks Mahavishnu to run jobs through a circuit breaker. Each answer sets the bridge's
 * mode: success → normal, failure or an open breaker → fallback.
 */
export class RemoteRunner {
  private readonly breaker: Breaker<Parameters<Call>, ToolValue>;

  constructor(
    client: MahavishnuClient,
    private readonly deps: RemoteRunnerDeps,
  ) {
    this.breaker = new Breaker<Parameters<Call>, ToolValue>(
      (tool, args) => client.callTool(tool, args),
      { timeoutMs: deps.callTimeoutMs + 1000, ...deps.breaker },
    );
    this.breaker.onStateChange((state) => deps.state.onBreakerState(state));
  }

  get breakerState(): BreakerState {
    return this.breaker.state;
  }

  /** Asks Mahavishnu to run the job; true when it accepted. */
  async run(job: JobName, ctx: JobContext, call: RemoteCall): Promise<boolean> {
    const { state, metrics, log } = this.deps;
    try {
      const result = await this.breaker.fire(call.tool, call.arguments);
      state.contacted(this.deps.clock.now());
      metrics.calls.inc({ outcome: 'ok' });
      state.setMode('normal');
      log?.debug({ job, window: ctx.window, result }, 'mahavishnu ran the job');
      return true;
    } catch (err) {
      const outcome = callOutcome(err);
      metrics.calls.inc({ outcome });
      state.setMode('fallback');
      log?.[outcome === 'rejected' ? 'debug' : 'warn'](
        { job, window: ctx.window, outcome, reason: (err as Error).message },
        'mahavishnu call failed: running the job locally',
      );
      return false;
    }
  }

  /** Stops the breaker's timers. */
  shutdown(): void {
    this.breaker.shutdown();
  }
}

function callOutcome(err: unknown): CallOutcome {
  if (isBreakerOpenError(err)) return 'rejected';
  const code = (err as { code?: unknown } | null)?.code;
  if (code === 'ESHUTDOWN') return 'rejected';
  if (code === 'ETIMEDOUT') return 'timeout';
  if (err instanceof MahavishnuError && err.code === 'MAHAVISHNU_TIMEOUT') return 'timeout';
  return 'error';
}
