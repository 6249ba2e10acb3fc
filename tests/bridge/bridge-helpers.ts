import { Registry } from 'prom-client';
import { JOB_NAMES, type JobName } from '../../bridge/jobs';
import { MahavishnuBridge, type MahavishnuBridgeOptions } from '../../bridge/mahavishnu-bridge';
import { ManualClock } from './fake-mahavishnu';

/** Periods in clock milliseconds: health_check turns over every 1000, the others rarely. */
export const PERIODS = {
  health_check: 1000,
  tier_transition: 1_000_000,
  daily_ingest_check: 10_000_000,
};
/** aligned to every period, so that moving by 1000 opens only a new health_check window */
export const T0 = 10_000_000 * 200_000;

export interface TestBridge {
  bridge: MahavishnuBridge;
  registry: Registry;
  /** windows each job's local handler ran for */
  local: Record<JobName, number[]>;
}

export function makeBridge(
  clock: ManualClock,
  options: MahavishnuBridgeOptions,
  started: MahavishnuBridge[],
): TestBridge {
  const registry = new Registry();
  const local = Object.fromEntries(JOB_NAMES.map((j) => [j, [] as number[]])) as Record<
    JobName,
    number[]
  >;
  const handlers = Object.fromEntries(
    JOB_NAMES.map((job) => [
      job,
      async (ctx: { window: number }) => void local[job].push(ctx.window),
    ]),
  );
  const bridge = new MahavishnuBridge({
    clock,
    tickMs: 10,
    periodsMs: PERIODS,
    callTimeoutMs: 2000,
    handlers,
    registry,
    ...options,
  });
  started.push(bridge);
  return { bridge, registry, local };
}

/** akosha_jobs_run_total for one job and mode (all modes when omitted). */
export async function runs(
  bridge: MahavishnuBridge,
  job: JobName,
  mode?: 'normal' | 'fallback',
): Promise<number> {
  const { values } = await bridge.metrics.jobsRun.get();
  return values
    .filter((v) => v.labels.job === job && (mode === undefined || v.labels.mode === mode))
    .reduce((sum, v) => sum + v.value, 0);
}

export async function calls(bridge: MahavishnuBridge, outcome: string): Promise<number> {
  const { values } = await bridge.metrics.calls.get();
  return values.find((v) => v.labels.outcome === outcome)?.value ?? 0;
}

export async function totalRuns(bridge: MahavishnuBridge): Promise<number> {
  let total = 0;
  for (const job of JOB_NAMES) total += await runs(bridge, job);
  return total;
}
