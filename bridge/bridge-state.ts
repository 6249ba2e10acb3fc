import type { Logger } from '../infra';
import type { BreakerState } from './breaker';
import { setBreakerStateGauge, type BridgeMetrics } from './metrics';

export type BridgeMode = 'normal' | 'fallback';

export interface BridgeStatus {
  mode: BridgeMode;
  breaker_state: BreakerState;
  /** ISO time of the last successful answer from Mahavishnu */
  last_contact: string | null;
  mahavishnu_url: string | null;
}

/** The bridge's mode and last contact with Mahavishnu, kept in step with its gauges and log. */
export class BridgeState {
  private current: BridgeMode;
  private lastContact: number | null = null;

  constructor(
    private readonly metrics: BridgeMetrics,
    mode: BridgeMode,
    private readonly log: Logger | undefined,
  ) {
    this.current = mode;
  }

  get mode(): BridgeMode {
    return this.current;
  }

  /** Publishes the starting mode and breaker state; later changes come through setMode and onBreakerState. */
  initGauges(breakerState: BreakerState): void {
    this.metrics.mode.set(this.current === 'normal' ? 1 : 0);
    setBreakerStateGauge(this.metrics, breakerState);
  }

  contacted(at: number): void {
    this.lastContact = at;
  }

  setMode(mode: BridgeMode): void {
    if (this.current === mode) return;
    this.current = mode;
    this.metrics.mode.set(mode === 'normal' ? 1 : 0);
    this.log?.info({ mode }, `mahavishnu bridge: ${mode} mode`);
  }

  onBreakerState(state: BreakerState): void {
    setBreakerStateGauge(this.metrics, state);
    if (state === 'open') this.setMode('fallback');
    this.log?.info({ breaker_state: state }, 'mahavishnu breaker state changed');
  }

  status(breakerState: BreakerState, mahavishnuUrl: string | null): BridgeStatus {
    return {
      mode: this.current,
      breaker_state: breakerState,
      last_contact: this.lastContact === null ? null : new Date(this.lastContact).toISOString(),
      mahavishnu_url: mahavishnuUrl,
    };
  }
}
