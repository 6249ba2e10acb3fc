import type { NewRow } from './write-plan';

/** A shard transaction's stored rows and the shard's commit mark after it. */
export interface DeferredWrite {
  rows: NewRow[];
  mark?: string | undefined;
}

/**
 * Points a store keeps of its bulk loads' writes (about 2 KB each: vector, text) to add them
 * at the end without reading them back; past it, a shard is re-synced from its rows.
 */
export const DEFERRED_POINTS_MAX = 131_072;

/**
 * The hot store's side of deferral: which shards bulk loads hold, and the writes each shard
 * took meanwhile, in commit order (undefined once they no longer tell all: the buffer's
 * limit, or a change made outside a shard transaction, such as a tier move).
 */
export class DeferredShards {
  private readonly held = new Map<number, { holders: number; writes?: DeferredWrite[] }>();
  private points = 0;

  has(shard: number): boolean {
    return this.held.has(shard);
  }

  hold(shard: number): void {
    const entry = this.held.get(shard);
    if (entry) entry.holders++;
    else this.held.set(shard, { holders: 1, writes: [] });
  }

  /** The writes of the shard when no other load holds it any longer; else undefined. */
  release(shard: number): { last: boolean; writes?: DeferredWrite[] | undefined } {
    const entry = this.held.get(shard);
    if (!entry || --entry.holders > 0) return { last: !entry };
    this.held.delete(shard);
    this.points -= countPoints(entry.writes);
    return { last: true, writes: entry.writes };
  }

  /** Keeps a write of a held shard (within the limit). */
  record(shard: number, write: DeferredWrite): void {
    const entry = this.held.get(shard);
    if (!entry?.writes) return;
    const points = countPoints([write]);
    if (this.points + points > DEFERRED_POINTS_MAX) return this.forget(shard);
    entry.writes.push(write);
    this.points += points;
  }

  /** The shard changed outside its kept writes: it is re-synced from its rows at the end. */
  forget(shard: number): void {
    const entry = this.held.get(shard);
    if (!entry?.writes) return;
    this.points -= countPoints(entry.writes);
    delete entry.writes;
  }
}

/** A record's own point and one per passage. */
const countPoints = (writes: DeferredWrite[] | undefined) =>
  (writes ?? []).reduce(
    (n, w) => n + w.rows.reduce((m, r) => m + 1 + (r.record.passages?.length ?? 0), 0),
    0,
  );

/** What a bulk load's deferral needs of the hot store (HotStore.deferIndex). */
export interface DeferralHost {
  /** from now on the shard's writes skip the vector index */
  hold(shard: number): void;
  /** the load is done with the shard; `last`: no other load holds it (it can be re-synced) */
  release(shard: number): { last: boolean; writes?: DeferredWrite[] | undefined };
  /**
   * makes the shard's points equal to its rows, from the writes kept meanwhile when they tell
   * all, else from the rows; throws when the vector store fails
   */
  resync(
    shard: number,
    writes: DeferredWrite[] | undefined,
  ): Promise<{ added: number; removed: number }>;
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
 * A bulk load (replay) defers the vector index of the shards it writes: their writes skip the
 * per-write graph insert, and each shard is brought up to date once, at `finish`: from the
 * writes the store kept (DeferredShards), when their commit marks follow each other from the
 * one the index knows, else re-synced from its rows; either way in large batches over every
 * core. Until then searches miss the
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
    for (const { shard, writes } of this.close()) {
      try {
        const synced = await this.host.resync(shard, writes);
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
    for (const { shard } of this.close()) this.host.markStale(shard);
  }

  /** Releases the shards; those no other load holds are returned, to re-sync. */
  private close(): { shard: number; writes?: DeferredWrite[] | undefined }[] {
    if (this.done) return [];
    this.done = true;
    return this.deferred
      .map((shard) => ({ shard, ...this.host.release(shard) }))
      .filter((released) => released.last);
  }
}
