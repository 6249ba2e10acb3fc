/**
 * Options of components that the config compiles (config-types.ts). They are declared here,
 * not beside their component, so that infra/ depends on no other folder.
 */

/** The limits every HTTP and MCP request is held to (api/limits/). */
export interface HttpLimits {
  /** body limit of every route but the MCP ones */
  bodyLimitBytes: number;
  /** body limit of the `/mcp*` routes (batches of memories with their vectors) */
  mcpBodyLimitBytes: number;
  /** nesting of objects and arrays in a JSON body */
  jsonMaxDepth: number;
  /** a request's headers and body must arrive within this (Fastify `requestTimeout`) */
  requestTimeoutMs: number;
  /** a socket with no traffic either way is closed after this (Fastify `connectionTimeout`) */
  connectionTimeoutMs: number;
  /** requests per principal (or client address) per minute; /health is exempt */
  ratePerMinute: number;
  /** embedding requests computed at once, and how many more may wait */
  embedding: { concurrency: number; queue: number };
  /** `Origin` values accepted on `/mcp*` besides the listener's own loopback origins */
  mcpAllowedOrigins: readonly string[];
}

/** 'fp32' loads onnx/model.onnx, 'q8' onnx/model_quantized.onnx */
export type ModelDtype = 'fp32' | 'q8';

/** The embedder the pipeline runs (embedding/factory.ts). */
export interface EmbedderOptions {
  kind: 'hashing' | 'model';
  /** model directory or id (kind 'model'; default DEFAULT_MODEL) */
  model?: string;
  /** default EMBEDDER_DEFAULTS.dtype (infra/defaults.ts) */
  dtype?: ModelDtype;
  /** worker threads; 0 runs one in-process session on all cores (default: one worker per core) */
  workers?: number;
  /**
   * nice value (0–19) of the worker threads and their ONNX threads (default
   * EMBEDDER_DEFAULTS.nice): on Linux per thread, so searches on the main thread come first
   */
  nice?: number;
  /** texts per ONNX run (default 32) */
  batchSize?: number;
  /** download a missing model id into cacheDir (default false) */
  allowRemote?: boolean;
  /** where model ids are looked up (default ./data/models) */
  cacheDir?: string;
}

/** What one search or lookup may read of the cold tier (storage/tiers/cold-limits.ts). */
export interface ColdReadLimits {
  /** Parquet objects read by one request */
  maxObjects: number;
  /** a request's cold reads are aborted after this (downloads and the DuckDB scan) */
  timeoutMs: number;
  /** per-system cold row counts (HEAD of every object) are reused this long */
  countsTtlMs: number;
}

/** How a process reaches the hot tier's shared Qdrant collection (AKOSHA_QDRANT_*). */
export interface QdrantHotOptions {
  /** e.g. https://qdrant.internal:6333 */
  url: string;
  /** sent as the `api-key` header; never logged */
  apiKey?: string | undefined;
  collection: string;
  /** per request */
  timeoutMs: number;
  /** HNSW beam at query time (AKOSHA_INDEX_EF_SEARCH; `auto` leaves QDRANT_DEFAULTS') */
  hnswEf: number;
}

/** Where the hot tier's vectors live: each writer's embedded index, or one shared Qdrant collection. */
export type VectorStoreOptions = { kind: 'usearch' } | { kind: 'qdrant'; qdrant: QdrantHotOptions };
