import type { Logger } from '../infra';
import type { ShardSink, UploadRef } from '../storage';

/** Announced uploads wait at most this long to be flagged: far inside OUTBOX_GRACE_MS. */
export const FLAG_EVERY_MS = 2000;

/**
 * The announced flags of the fast path, written per shard in one UPDATE every `everyMs`
 * rather than one (a transaction of its own) per batch. A flag only spares the outbox sweep
 * a read of AKOSHA_INGESTED: a flag written late, or lost in a crash, never makes a second
 * event, and the sweep leaves completions younger than its grace to the fast path.
 */
export class AnnounceFlags {
  private pending = new Map<number, UploadRef[]>();
  private writing: Promise<void> = Promise.resolve();
  private timer: NodeJS.Timeout | undefined;

  constructor(
    private readonly store: Pick<ShardSink, 'markAnnounced'>,
    private readonly log: Logger,
    /** the writer lease: while it does not hold, nothing is written (the new owner's sweep flags) */
    private readonly fence: () => boolean = () => true,
    private readonly everyMs = FLAG_EVERY_MS,
  ) {}

  start(): void {
    this.timer ??= setInterval(() => void this.flush(), this.everyMs);
    this.timer.unref();
  }

  add(shard: number, uploads: UploadRef[]): void {
    if (uploads.length === 0) return;
    const list = this.pending.get(shard);
    if (list) list.push(...uploads);
    else this.pending.set(shard, [...uploads]);
  }

  /** Writes what is pending now (after any write still running); never throws. */
  flush(): Promise<void> {
    this.writing = this.writing.then(() => this.writePending());
    return this.writing;
  }

  /** Stops the timer and writes what is left (the writer's drain). Idempotent. */
  async close(): Promise<void> {
    clearInterval(this.timer);
    await this.flush();
  }

  private async writePending(): Promise<void> {
    const batch = this.pending;
    this.pending = new Map();
    if (!this.fence()) return;
    for (const [shard, uploads] of batch)
      await this.store
        .markAnnounced(shard, uploads)
        .catch((err: unknown) =>
          this.log.warn({ err, shard }, 'announce flag failed; the outbox sweep flags it'),
        );
  }
}
