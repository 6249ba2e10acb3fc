import CircuitBreaker from 'opossum';
import { MAHAVISHNU_DEFAULTS } from '../infra';

export type BreakerState = 'closed' | 'open' | 'half_open';
export const BREAKER_STATES: readonly BreakerState[] = ['closed', 'open', 'half_open'];

export interface BreakerOptions {
  /** a call slower than this counts as a failure (default 10000 ms; keep it ≥ the client timeout) */
  timeoutMs?: number;
  /** failure percentage in the rolling window above which the breaker opens (default 50) */
  errorThresholdPercentage?: number;
  /** calls in the rolling window before the breaker may open at all (default 3) */
  volumeThreshold?: number;
  /** how long the breaker stays open before letting one probe through (default 30000 ms) */
  resetTimeoutMs?: number;
  /** the rolling statistics window (default 60000 ms) */
  rollingCountTimeoutMs?: number;
  name?: string;
}

/** Error codes opossum gives its own rejections. */
export const BREAKER_OPEN = 'EOPENBREAKER';
export const BREAKER_TIMEOUT = 'ETIMEDOUT';

export function isBreakerOpenError(err: unknown): boolean {
  return (err as { code?: unknown } | null)?.code === BREAKER_OPEN;
}

/**
 * An opossum circuit breaker around any async call (here: Mahavishnu tool calls).
 * While open it rejects at once with code EOPENBREAKER; after `resetTimeoutMs` it is
 * half-open and lets exactly one call through: success closes it, failure re-opens it.
 */
export class Breaker<TArgs extends unknown[], TResult> {
  private readonly circuit: CircuitBreaker<TArgs, TResult>;
  private readonly listeners = new Set<(state: BreakerState) => void>();

  constructor(action: (...args: TArgs) => Promise<TResult>, options: BreakerOptions = {}) {
    const rolling = options.rollingCountTimeoutMs ?? 60_000;
    const defaults = MAHAVISHNU_DEFAULTS.breaker;
    this.circuit = new CircuitBreaker(action, {
      timeout: options.timeoutMs ?? 10_000,
      errorThresholdPercentage:
        options.errorThresholdPercentage ?? defaults.errorThresholdPercentage,
      volumeThreshold: options.volumeThreshold ?? defaults.volumeThreshold,
      resetTimeout: options.resetTimeoutMs ?? defaults.resetTimeoutMs,
      rollingCountTimeout: rolling,
      rollingCountBuckets: rolling % 10 === 0 ? 10 : 1,
      name: options.name ?? 'mahavishnu',
    });
    const emit = () => {
      const state = this.state;
      for (const listener of this.listeners) listener(state);
    };
    this.circuit.on('open', emit);
    this.circuit.on('halfOpen', emit);
    this.circuit.on('close', emit);
  }

  get state(): BreakerState {
    if (this.circuit.opened) return 'open';
    if (this.circuit.halfOpen) return 'half_open';
    return 'closed';
  }

  /** Runs the action through the breaker. */
  fire(...args: TArgs): Promise<TResult> {
    return this.circuit.fire(...args);
  }

  /** Called on every state change with the new state; returns an unsubscribe function. */
  onStateChange(listener: (state: BreakerState) => void): () => void {
    this.listeners.add(listener);
    return () => this.listeners.delete(listener);
  }

  /** Stops the breaker's timers; later calls reject with ESHUTDOWN. */
  shutdown(): void {
    this.listeners.clear();
    this.circuit.shutdown();
  }
}
