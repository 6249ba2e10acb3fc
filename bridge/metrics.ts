import { Counter, Gauge, type Registry } from 'prom-client';
import { BREAKER_STATES, type BreakerState } from './breaker';

/** Outcomes of one call to Mahavishnu, as counted in akosha_bridge_calls_total. */
export type CallOutcome = 'ok' | 'error' | 'timeout' | 'rejected';

/** The bridge's metrics, registered on the given registry (once per registry). */
export function createBridgeMetrics(registry: Registry) {
  const registers = [registry];
  return {
    mode: new Gauge({
      name: 'akosha_bridge_mode',
      help: 'Mahavishnu bridge mode: 1 = normal (Mahavishnu runs the jobs), 0 = fallback (local).',
      registers,
    }),
    breakerState: new Gauge({
      name: 'akosha_bridge_breaker_state',
      help: 'Circuit breaker around Mahavishnu calls: 1 for the current state, 0 for the others.',
      labelNames: ['state'] as const,
      registers,
    }),
    calls: new Counter({
      name: 'akosha_bridge_calls_total',
      help: 'Calls to Mahavishnu by outcome (ok, error, timeout, rejected = breaker open).',
      labelNames: ['outcome'] as const,
      registers,
    }),
    jobsRun: new Counter({
      name: 'akosha_jobs_run_total',
      help: 'Periodic job runs by job and mode (normal = run by Mahavishnu, fallback = run locally).',
      labelNames: ['job', 'mode'] as const,
      registers,
    }),
    jobsFailed: new Counter({
      name: 'akosha_jobs_failed_total',
      help: 'Local job runs (fallback mode) whose handler failed.',
      labelNames: ['job', 'mode'] as const,
      registers,
    }),
  };
}

export type BridgeMetrics = ReturnType<typeof createBridgeMetrics>;

export function setBreakerStateGauge(metrics: BridgeMetrics, current: BreakerState): void {
  for (const state of BREAKER_STATES)
    metrics.breakerState.set({ state }, state === current ? 1 : 0);
}
