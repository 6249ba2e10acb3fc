import type { Logger, Metrics } from '../infra';

export type StallReason = 'disk_full' | 'io_error';

const STALLS: { reason: StallReason; pattern: RegExp }[] = [
  { reason: 'disk_full', pattern: /no space left on device|ENOSPC|EDQUOT|quota exceeded/i },
  {
    reason: 'io_error',
    pattern:
      /input\/output error|\bEIO\b|could not (write|read|open|create) file|permission denied/i,
  },
];

/** A storage error that waiting can mend (space freed, a volume back): it must not spend deliveries. */
export function stallReason(err: unknown): StallReason | undefined {
  for (
    let e = err as { message?: unknown; cause?: unknown } | undefined;
    e;
    e = e.cause as typeof e
  ) {
    const text = String(e.message ?? e);
    const hit = STALLS.find((s) => s.pattern.test(text));
    if (hit) return hit.reason;
  }
  return undefined;
}

export interface StallStatus {
  reason: StallReason;
  detail: string;
  sinceMs: number;
  shards: number[];
}

/**
 * The writer's storage stall: while any shard's writes fail with a stall error, the
 * writer pulls nothing new, reports not ready, and retries the writes it holds (their
 * messages kept alive); the first success on every stalled shard resumes it.
 */
export class SinkStall {
  private readonly stalled = new Map<number, { reason: StallReason; detail: string }>();
  private sinceMs = 0;

  constructor(
    private readonly loops: { pause(): void; resume(): void },
    private readonly metrics: Metrics,
    private readonly log: Logger,
  ) {}

  enter(shard: number, reason: StallReason, err: unknown): void {
    const detail = err instanceof Error ? err.message : String(err);
    if (this.stalled.size === 0) {
      this.sinceMs = Date.now();
      this.loops.pause();
      this.log.error(
        { shard, reason, err },
        'storage failing: writer stops pulling until writes succeed',
      );
    }
    this.stalled.set(shard, { reason, detail });
    this.metrics.writerStalled.set({ reason }, 1);
  }

  clear(shard: number): void {
    const was = this.stalled.get(shard);
    if (!was || !this.stalled.delete(shard)) return;
    if ([...this.stalled.values()].every((s) => s.reason !== was.reason))
      this.metrics.writerStalled.set({ reason: was.reason }, 0);
    if (this.stalled.size > 0) return;
    this.log.info(
      { stalledMs: Date.now() - this.sinceMs },
      'storage writes succeed again: writer resumes',
    );
    this.loops.resume();
  }

  get status(): StallStatus | undefined {
    const first = this.stalled.values().next().value;
    if (!first) return undefined;
    return {
      ...first,
      sinceMs: this.sinceMs,
      shards: [...this.stalled.keys()].sort((a, b) => a - b),
    };
  }
}

/** Between write attempts of a stalled shard: 0.5 s, doubling to 5 s. */
export const stallDelayMs = (attempt: number) => Math.min(500 * 2 ** attempt, 5000);
