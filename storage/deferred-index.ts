/** What a bulk load's deferral needs of the hot store (HotStore.deferIndex). */
export interface DeferralHost {
  /** from now on the shard's writes skip the vector index */
  hold(shard: number): void;
  /** the load is done with the shard; true: no other load holds it (it can be re-synced) */
  release(shard: number): boolean;
  /** makes the shard's points equal to its rows; throws when the vector store fails */
  resync(shard: number): Promise<{ added: number; removed: number }>;
  /** leaves the shard to the repair of stale shards (upkeep, next write, next open) */
  markStale(shard: number): void;
}

export interface DeferredIndexResult {
  /** shards re-synced, and what that added to and removed from the index */
  shards: number;
  added: number;
  removed: number;
  seconds: number;
  /** shards whose re-sync failed: marked stale, repaired by the upkeep */
  stale: number[];
}

/**
 * A bulk load (replay, restore, tier moves) defers the vector index of the shards it writes:
 * their writes skip the per-write graph insert, and each shard is re-synced from its rows
 * once, at `finish` (one pass, large batches over every core). Until then searches miss the
 * rows written since `defer`. A crash before `finish` loses nothing: the index's saved mark
 * of such a shard is older than the shard's commit mark (commit-mark.ts), so the next open
 * re-syncs it; a shared store (Qdrant) finds it by its point count.
 */
export class DeferredIndex {
  private readonly shards = new Set<number>();
  private done = false;

  constructor(private readonly host: DeferralHost) {}

  /** Call before the shard's first write of the load. */
  defer(shard: number): void {
    if (this.done) throw new Error('this bulk load has finished');
    if (this.shards.has(shard)) return;
    this.shards.add(shard);
    this.host.hold(shard);
  }

  get deferred(): number[] {
    return [...this.shards].sort((a, b) => a - b);
  }

  /** Re-syncs every deferred shard once; a shard that fails is left stale (never throws). */
  async finish(): Promise<DeferredIndexResult> {
    const started = performance.now();
    const result: DeferredIndexResult = { shards: 0, added: 0, removed: 0, seconds: 0, stale: [] };
    for (const shard of this.close()) {
      try {
        const synced = await this.host.resync(shard);
        result.shards++;
        result.added += synced.added;
        result.removed += synced.removed;
      } catch {
        this.host.markStale(shard);
        result.stale.push(shard);
      }
    }
    result.seconds = (performance.now() - started) / 1000;
    return result;
  }

  /** After a failed load: its shards are marked stale, repaired later (no work here). */
  abandon(): void {
    for (const shard of this.close()) this.host.markStale(shard);
  }

  /** Releases the shards; those no other load holds are returned, to re-sync. */
  private close(): number[] {
    if (this.done) return [];
    this.done = true;
    return this.deferred.filter((shard) => this.host.release(shard));
  }
}
