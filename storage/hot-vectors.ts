import type { DuckDBConnection } from '@duckdb/node-api';
import type { HotIndexHit } from './hot-index';
import type { HotHit } from './search-hit';
import type { SearchFilter } from './vector-index/types';
import type { NewRow } from './write-plan';

/**
 * The hot tier's vector index as the hot store uses it, whatever holds the vectors. DuckDB
 * stays the source of truth: `sync` makes a shard's points equal to its rows.
 */
export interface HotVectors {
  /**
   * true: a shard marked stale is repaired at its next write (a local index, cheap to sync);
   * false: only by the writer's upkeep (a remote store that may be down for a while)
   */
  readonly repairOnWrite: boolean;
  /**
   * Adds the records (and passages) a shard transaction stored; `mark`: the shard's commit
   * mark after it (commit-mark.ts), for a store that checks marks at open.
   */
  add(shard: number, rows: NewRow[], mark?: string): Promise<void>;
  /**
   * The shard's mark when its next transaction may commit without moving it (no saved file
   * vouches for it yet); undefined: the transaction moves it. Absent: always moved.
   */
  keptMark?(shard: number): string | undefined;
  /**
   * A bulk load's writes of a shard, in commit order, added in large batches; returns the
   * points added. Throws, adding nothing, when their marks do not follow the last one known
   * (the caller re-syncs the shard). Absent: the store re-syncs deferred shards from rows.
   */
  addWrites?(
    shard: number,
    writes: { rows: NewRow[]; mark?: string | undefined }[],
  ): Promise<number>;
  /** Points a bulk load stored that the graph's background build has not taken yet. */
  readonly waiting?: number;
  /** Resolves once that build holds every point staged so far. */
  built?(): Promise<void>;
  /** Makes the shard's points equal to its records after changes made outside `add`. */
  sync(conn: DuckDBConnection, shard: number): Promise<{ added: number; removed: number }>;
  /** The records nearest to the query, best first, each once, at most `limit`. */
  search(
    query: Float32Array,
    opts: { limit: number; filter?: SearchFilter | undefined },
  ): Promise<HotIndexHit[]>;
  /**
   * The search results of a shard's hits from what the store keeps with its points; absent
   * where the store keeps no such thing (the hot store reads them from DuckDB then).
   */
  hits?(shard: number, hits: HotIndexHit[]): HotHit[];
  count(): Promise<number>;
  /**
   * Persists what is not persisted yet (embedded index); a no-op for a server. `busy`: shards
   * a transaction may be writing now, whose marks the saved file must not vouch for.
   */
  save(busy?: (shard: number) => boolean): Promise<void>;
  close(busy?: (shard: number) => boolean): Promise<void>;
}
