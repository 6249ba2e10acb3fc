/**
 * Where memories live: DuckDB hot shards with their vector index (embedded usearch or Qdrant,
 * vector-index/), warm and cold tiers and the moves between them (tiers/), and the knowledge
 * graph (graph/). Exports the stores, the ShardSink the writers depend on, and the readers and
 * keys that API and operations use.
 */

export type { IncompleteUpload, UnannouncedUpload, UploadRef } from './announcements';
export type { CompletedUpload } from './completion';
export { numberedFiles } from './disk';
export { appendRows } from './duckdb-append';
export { openGraphStore } from './graph/duckdb-graph-store';
export { storedEnd } from './graph/rows';
export type {
  EntityDetail,
  GraphApplyOutcome,
  GraphCounts,
  GraphQueries,
  GraphStatistics,
  GraphStore,
  LinkedEntity,
  NeighborsReply,
  PathReply,
  SystemScope,
} from './graph/types';
export type { HotIndexHit } from './hot-index';
export { shardDbName } from './hot-schema';
export { NO_HOT_SEARCH } from './hot-search';
export type { HotSearch } from './hot-search';
export { HotStore } from './hot-store';
export type { SearchOptions } from './hot-store';
export type { DeferredIndex, DeferredIndexResult } from './deferred-index';
export { Pool, SharedExclusiveLock } from './keyed-lock';
export { findMemory } from './lookup';
export type { StoredMemory } from './lookup';
export { QdrantHotIndex, qdrantIndexOf } from './qdrant-hot-index';
export { QdrantHotSearch } from './qdrant-hot-search';
export type { HotHit } from './search-hit';
export type { ShardSink, ShardSinkResult } from './shard-sink';
export type { ShardWriteResult } from './shard-transaction';
export { BackgroundRecovery } from './tiers/background-recovery';
export { ColdReadLimitError } from './tiers/cold-limits';
export type { TierMover } from './tiers';
export type { MoveResult } from './tiers/moves';
export { s3Client } from './tiers/object-store';
export { openTiers } from './tiers/open-tiers';
export { quantiseSql, scaleSql } from './tiers/sql';
export { countsBySystem } from './tiers/tier-counts';
export type { TierCounts } from './tiers/tier-counts';
export { emptySizes, sizesBySystem } from './tiers/tier-sizes';
export type { SizesReport, TierSize, TierSizes } from './tiers/tier-sizes';
export type { TierKeys } from './tiers/tier-keys';
export { TierMoveError } from './tiers/verify';
export { warmDbName } from './tiers/warm-store';
export type { WarmHit, WarmStore } from './tiers/warm-store';
export { isoToMicros } from './time';
export { hotShardKeys } from './vector-index/hot-source';
export { shardFilter } from './vector-index/qdrant-wire';
export { recordKey, uploadKey } from './write-plan';
export type { ChunkInput } from './write-plan';
