/**
 * Defaults of the settings that both the environment (infra/env-schema.ts) and a component's
 * own options have. Declared once, here, so that a component built without config behaves as
 * the configured pipeline does; tests/infra/defaults.test.ts keeps the two equal.
 * Units are the components' (ms, bytes); the schema converts where its variable uses seconds.
 */

/**
 * the hot tier's vector index (storage/vector-index/usearch-index.ts, storage/hot-store.ts).
 * ef at query time `auto`: it follows the index's size (efForSize), as a fixed ef either
 * costs recall in a large index or CPU in a small one.
 */
export const HOT_INDEX_DEFAULTS = {
  quantization: 'i8',
  expansionSearch: 'auto',
  saveIntervalMs: 300_000,
  /**
   * MiB of the saved points' file a writer holds in memory, the hits' fields first, then
   * vectors (PointFile.loadResident): in bench:query, every field and three quarters of the
   * vectors at 100,000 points, the fields alone at 1M, where a writer stays within 1.5 GB
   */
  residentMiB: 128,
  /**
   * the graph on a thread of its own (AKOSHA_INDEX_GRAPH_THREAD): `auto`, on where the process
   * may run on two cores or more, serves more searches/s there (bench:query, 100k: 5 of 6
   * alternating runs faster); on one core it costs ~25 %
   */
  graphThread: 'auto' as boolean | 'auto',
  /**
   * nice value of that thread: while a writer ingests, its graph inserts yield the cores to
   * the thread that answers searches
   */
  graphNice: 10,
  /**
   * points a bulk load (a replay) may leave to the graph's background build
   * (UsearchIndex.stage); meanwhile every search ranks them exactly, ~0.3 µs a point
   */
  stagedMax: 131_072,
} as const;

/**
 * the hot tier's DuckDB instance (storage/hot-store.ts). One thread: its work is many small
 * transactions, and with more, the thread that runs a statement spins waiting on the others
 * (2-3× the CPU of a small commit); searches are served by the vector index, not DuckDB.
 */
export const HOT_STORE_DEFAULTS = {
  duckdbThreads: 1,
} as const;

/** the model embedder (embedding/) */
export const EMBEDDER_DEFAULTS = {
  model: 'Xenova/all-MiniLM-L6-v2',
  dtype: 'q8',
  batchSize: 32,
  /** worker threads run at this nice value: searches on the main thread win the cores */
  nice: 10,
} as const;

/** the Mahavishnu bridge, its client and its circuit breaker (bridge/) */
export const MAHAVISHNU_DEFAULTS = {
  url: 'http://127.0.0.1:8680',
  callTimeoutMs: 5000,
  breaker: { errorThresholdPercentage: 50, volumeThreshold: 3, resetTimeoutMs: 30_000 },
} as const;

/** the query cache (api/query-cache.ts) */
export const QUERY_CACHE_DEFAULTS = {
  prefix: 'akosha:qc',
  l1MaxBytes: 64 * 1024 * 1024,
  maxEntryBytes: 256 * 1024,
} as const;

/** limits of every HTTP and MCP request (api/limits/limits.ts, api/mcp/routes.ts) */
export const HTTP_LIMIT_DEFAULTS = {
  bodyLimitBytes: 1024 * 1024,
  mcpBodyLimitBytes: 8 * 1024 * 1024,
  jsonMaxDepth: 32,
  requestTimeoutMs: 60_000,
  connectionTimeoutMs: 120_000,
  ratePerMinute: 6000,
  embedding: { concurrency: 2, queue: 16 },
} as const;

/** what one request may read of the cold tier (storage/tiers/cold-limits.ts) */
export const COLD_READ_DEFAULTS = {
  maxObjects: 64,
  timeoutMs: 10_000,
  countsTtlMs: 30_000,
} as const;

/** the hot tier's shared Qdrant collection (storage/vector-index/qdrant-index.ts) */
export const QDRANT_DEFAULTS = {
  collection: 'akosha_hot',
  timeoutMs: 10_000,
  /** ef 80: the least that keeps recall@10 ≥ 0.95 at 1M records in bench:query's embedded index */
  hnswEf: 80,
} as const;
