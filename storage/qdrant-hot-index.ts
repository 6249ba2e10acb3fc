import type { DuckDBConnection } from '@duckdb/node-api';
import { bestPerRecord, pointsOfRow, type HotIndexHit } from './hot-index';
import type { HotVectors } from './hot-vectors';
import type { QdrantHotOptions } from '../infra';
import { hotShardCount, hotShardKeys, hotShardPoints } from './vector-index/hot-source';
import { qdrantPointIdOf } from './vector-index/keys';
import { QdrantIndex } from './vector-index/qdrant-index';
import type { RetryPolicy } from './vector-index/qdrant-retry';
import { shardFilter } from './vector-index/qdrant-wire';
import type { IndexPoint, SearchFilter } from './vector-index/types';
import type { NewRow } from './write-plan';

/**
 * Writes wait little for an overloaded server: a shard whose points were not written is
 * marked stale and re-synced by the writer's upkeep, so nothing is lost by giving up early.
 */
const WRITE_RETRY: RetryPolicy = { maxRetries: 2, baseDelayMs: 200, maxDelayMs: 2000 };
/** points per upsert while re-syncing: each carries its record's text (up to 100k characters) */
const SYNC_BATCH = 256;

export const qdrantIndexOf = (opts: QdrantHotOptions, retry?: RetryPolicy) =>
  new QdrantIndex({
    url: opts.url,
    apiKey: opts.apiKey,
    collection: opts.collection,
    timeoutMs: opts.timeoutMs,
    hnswEf: opts.hnswEf,
    retry,
  });

/**
 * The hot tier's points in one Qdrant collection shared by every writer and API process:
 * each record and passage of a long text is a point whose payload holds the filter fields
 * and what a search result shows (hotShardPoints' `shown`), so a process without the shard
 * files can answer hot searches. DuckDB stays the source of truth: a shard whose points may
 * differ from its rows (a failed write, a crash between COMMIT and upsert) is re-synced from
 * them by key: points missing are written, points of records gone (tier moves, retention)
 * are deleted. The collection is created at the first write, not at open: a writer starts
 * and stores records while Qdrant is down.
 */
export class QdrantHotIndex implements HotVectors {
  readonly repairOnWrite = false;
  private ensured: Promise<void> | undefined;

  constructor(readonly index: QdrantIndex) {}

  static create(opts: QdrantHotOptions): QdrantHotIndex {
    return new QdrantHotIndex(qdrantIndexOf(opts, WRITE_RETRY));
  }

  /** Creates the collection once (tried again after a failure). */
  private ready(): Promise<void> {
    this.ensured ??= this.index.ensureCollection().catch((err: unknown) => {
      this.ensured = undefined;
      throw err;
    });
    return this.ensured;
  }

  /**
   * Shards whose point count in the collection differs from their rows' (a write that missed
   * Qdrant before a restart); every shard when Qdrant does not answer.
   */
  async outOfSync(conn: DuckDBConnection, shards: number[]): Promise<number[]> {
    const stale: number[] = [];
    try {
      await this.ready();
      for (const shard of shards) {
        const points = await this.index.countWhere(shardFilter(shard));
        if (points !== (await hotShardCount(conn, shard))) stale.push(shard);
      }
      return stale;
    } catch {
      return [...shards];
    }
  }

  async add(shard: number, rows: NewRow[]): Promise<void> {
    const points = rows.flatMap((row) => pointsOfRow(shard, row, true));
    if (points.length === 0) return;
    await this.ready();
    await this.index.upsert(points);
  }

  sync(conn: DuckDBConnection, shard: number): Promise<{ added: number; removed: number }> {
    return this.syncShard(conn, shard, false);
  }

  /**
   * Makes the shard's points equal to its rows: points of records no longer stored are
   * deleted; points missing are written, or (`overwrite`, after a re-embed changed the
   * vectors) every point is written again.
   */
  async syncShard(
    conn: DuckDBConnection,
    shard: number,
    overwrite: boolean,
  ): Promise<{ added: number; removed: number }> {
    await this.ready();
    const missing = new Set((await hotShardKeys(conn, shard)).map(qdrantPointIdOf));
    const held = new Set(missing);
    const extra: string[] = [];
    for await (const page of this.index.scroll(shardFilter(shard), false)) {
      for (const { id } of page) if (!missing.delete(id)) extra.push(id);
    }
    await this.index.removeIds(extra);
    const wanted = overwrite ? held : missing;
    let added = 0;
    if (wanted.size > 0) {
      for await (const batch of hotShardPoints(conn, shard, SYNC_BATCH, true)) {
        const points = batch.filter((p: IndexPoint) => wanted.has(qdrantPointIdOf(p.key)));
        await this.index.upsert(points);
        added += points.length;
      }
    }
    return { added, removed: extra.length };
  }

  async search(
    query: Float32Array,
    opts: { limit: number; filter?: SearchFilter | undefined },
  ): Promise<HotIndexHit[]> {
    // a record may hold several of the nearest points: ask for more, keep the best per record
    const raw = await this.index.search(query, { limit: opts.limit * 3, filter: opts.filter });
    return bestPerRecord(raw, opts.limit);
  }

  count(): Promise<number> {
    return this.index.count();
  }

  async save(): Promise<void> {
    // every acknowledged write is persisted by the server
  }

  close(): Promise<void> {
    return this.index.close();
  }
}
