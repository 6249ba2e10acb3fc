import type { Logger } from '../../infra';

export interface BackgroundRecoveryOptions {
  /** shards whose interrupted moves may need finishing (those with warm files) */
  shards: number[];
  /** finishes or rolls back one shard's interrupted moves; throws while a tier is unreachable */
  recoverShard: (shard: number) => Promise<unknown>;
  /** waits between passes; the last one repeats */
  backoffMs: number[];
  log: Logger;
  /** called with the shards pending at start, then after each pass */
  onPending?: (pending: number[]) => void;
}

/**
 * Tier recovery that does not block the writer: ingest only writes hot, so it can run
 * while a move interrupted on its way to S3 waits for S3 to come back. Every move and
 * restore of a shard first recovers that shard itself, so none starts on a shard whose
 * recovery is still pending: it fails, keeps its source and is retried later.
 */
export class BackgroundRecovery {
  private readonly pending: Set<number>;
  private stopped = false;
  private wake?: () => void;
  /** settles when every shard is recovered, or when stopped */
  readonly done: Promise<void>;

  constructor(private readonly opts: BackgroundRecoveryOptions) {
    this.pending = new Set(opts.shards);
    opts.onPending?.(this.pendingShards()); // every shard is pending until its first pass
    this.done = this.run();
  }

  pendingShards(): number[] {
    return [...this.pending].sort((a, b) => a - b);
  }

  async stop(): Promise<void> {
    this.stopped = true;
    this.wake?.();
    await this.done;
  }

  private async run(): Promise<void> {
    for (let pass = 0; !this.stopped; pass++) {
      await this.pass(pass);
      this.opts.onPending?.(this.pendingShards());
      if (this.pending.size === 0 || this.stopped) return;
      const { backoffMs } = this.opts;
      await this.sleep(backoffMs[Math.min(pass, backoffMs.length - 1)] ?? 1000);
    }
  }

  private async pass(pass: number): Promise<void> {
    for (const shard of this.pendingShards()) {
      if (this.stopped) return;
      try {
        await this.opts.recoverShard(shard);
        this.pending.delete(shard);
        if (pass > 0) this.opts.log.info({ shard }, 'tier recovery completed');
      } catch (err) {
        this.opts.log.warn(
          { err, shard, pass },
          'tier recovery pending: an interrupted move cannot be finished yet; ingest goes on',
        );
      }
    }
  }

  private sleep(ms: number): Promise<void> {
    return new Promise((resolve) => {
      const timer = setTimeout(resolve, ms);
      this.wake = () => {
        clearTimeout(timer);
        resolve();
      };
    });
  }
}
