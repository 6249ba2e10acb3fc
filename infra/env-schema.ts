import { z } from 'zod';
import {
  COLD_READ_DEFAULTS,
  EMBEDDER_DEFAULTS,
  HOT_INDEX_DEFAULTS,
  HOT_STORE_DEFAULTS,
  HTTP_LIMIT_DEFAULTS,
  MAHAVISHNU_DEFAULTS,
  QDRANT_DEFAULTS,
  QUERY_CACHE_DEFAULTS,
} from './defaults';

const int = (min: number, max: number) => z.coerce.number().int().min(min).max(max);
const msList = z
  .string()
  // eslint-disable-next-line security/detect-unsafe-regex -- linear: each repeat starts with a literal ','
  .regex(/^\d+(,\d+)*$/, 'comma-separated milliseconds')
  .transform((s) => s.split(',').map(Number));
/** Bytes, with an optional binary unit (`512MiB`, `8GiB`); `-1`: no limit. */
const byteSize = z
  .string()
  .regex(/^(-1|\d+(KiB|MiB|GiB|TiB)?)$/, 'bytes, e.g. 1073741824 or 1GiB; -1 for no limit')
  .transform((s) => {
    const units: Record<string, number> = {
      KiB: 2 ** 10,
      MiB: 2 ** 20,
      GiB: 2 ** 30,
      TiB: 2 ** 40,
    };
    const [, n, unit] = /^(-?\d+)([KMGT]iB)?$/.exec(s)!;
    return Number(n) * (unit ? units[unit]! : 1);
  });

/** Every environment variable Akosha reads, with its default. Parsed once, at start. */
export const EnvSchema = z.object({
  AKOSHA_NATS_URL: z.string().default('nats://127.0.0.1:4222'),
  AKOSHA_START_NATS: z.enum(['auto', 'never']).default('auto'),
  AKOSHA_NATS_SYNC: z.enum(['always', 'default']).default('default'),
  AKOSHA_DRAIN_TIMEOUT_MS: int(100, 3_600_000).default(30_000),
  AKOSHA_STREAM_REPLICAS: int(1, 5).default(1),
  AKOSHA_STREAMS_FORCE: z.enum(['true', 'false']).default('false'),
  // per-stream byte limits: their sum must fit the server's max_file_store (nats.conf: 20GB)
  AKOSHA_UPLOADS_MAX_BYTES: byteSize.default(8 * 2 ** 30),
  AKOSHA_EMBEDDED_MAX_BYTES: byteSize.default(4 * 2 ** 30),
  AKOSHA_INGESTED_MAX_BYTES: byteSize.default(512 * 2 ** 20),
  AKOSHA_DLQ_MAX_BYTES: byteSize.default(2 ** 30),
  AKOSHA_AUDIT_MAX_BYTES: byteSize.default(2 ** 30),
  AKOSHA_GRAPH_MAX_BYTES: byteSize.default(2 ** 30),
  AKOSHA_CLOUD_MAX_BYTES: byteSize.default(256 * 2 ** 20),
  AKOSHA_TIER_RECOVERY_BACKOFF_MS: msList.default([1000, 5000, 15_000, 30_000, 60_000]),
  AKOSHA_DATA_DIR: z.string().default('./data'),
  AKOSHA_HTTP_HOST: z.string().default('127.0.0.1'),
  AKOSHA_HTTP_PORT: int(0, 65535).default(8682),
  AKOSHA_SEARCH_PART_TIMEOUT_MS: int(10, 600_000).default(2000),
  AKOSHA_SCATTER_TIMEOUT_MS: int(10, 600_000).default(2500),
  AKOSHA_SEARCH_ROWS: z.enum(['memory', 'duckdb']).default('memory'),
  AKOSHA_INDEX_SAVE_INTERVAL_S: int(1, 86_400).default(HOT_INDEX_DEFAULTS.saveIntervalMs / 1000),
  AKOSHA_INDEX_QUANTIZATION: z.enum(['f32', 'i8']).default(HOT_INDEX_DEFAULTS.quantization),
  AKOSHA_INDEX_EF_SEARCH: z
    .union([z.literal('auto'), int(10, 4096)])
    .default(HOT_INDEX_DEFAULTS.expansionSearch),
  AKOSHA_INDEX_RESIDENT_MB: int(0, 65_536).default(HOT_INDEX_DEFAULTS.residentMiB),
  AKOSHA_INDEX_GRAPH_THREAD: z
    .enum(['auto', 'on', 'off'])
    .default(
      HOT_INDEX_DEFAULTS.graphThread === 'auto'
        ? 'auto'
        : HOT_INDEX_DEFAULTS.graphThread
          ? 'on'
          : 'off',
    ),
  AKOSHA_LOG_LEVEL: z.enum(['trace', 'debug', 'info', 'warn', 'error', 'silent']).default('info'),
  AKOSHA_UPLOADS_MAX_AGE_DAYS: int(1, 3650).default(30),
  AKOSHA_DUPLICATE_WINDOW_MS: int(1000, 86_400_000).default(300_000),
  AKOSHA_MAX_MESSAGE_BYTES: int(1024, 64 * 1024 * 1024).default(8 * 1024 * 1024),
  AKOSHA_INGEST_WORKERS: int(1, 64).default(2),
  AKOSHA_BATCH_SIZE: int(1, 4096).default(256),
  AKOSHA_BATCH_LINGER_MS: int(0, 1000).default(2),
  AKOSHA_OUTBOX_SWEEP_MS: int(100, 3_600_000).default(30_000),
  AKOSHA_INCOMPLETE_UPLOAD_AFTER_S: int(1, 30 * 86_400).default(3600),
  AKOSHA_PULL_MAX_BYTES: int(64 * 1024, 1024 * 1024 * 1024).default(32 * 1024 * 1024),
  AKOSHA_ACK_WAIT_MS: int(1000, 3_600_000).default(30_000),
  AKOSHA_MAX_DELIVER: int(2, 100).default(6),
  AKOSHA_BACKOFF_MS: msList.default([1000, 5000, 15_000, 30_000, 60_000]),
  AKOSHA_SHARD_GROUPS: int(1, 256)
    .refine((n) => 256 % n === 0, 'must divide 256')
    .default(16),
  AKOSHA_WRITER_GROUPS: z
    .string()
    // eslint-disable-next-line security/detect-unsafe-regex -- linear: each repeat starts with a literal (',' or '-')
    .regex(/^(all|ordinal|\d+(-\d+)?(,\d+(-\d+)?)*)$/, '"all", "ordinal" or ranges like 0-7,12')
    .default('all'),
  /** with AKOSHA_WRITER_GROUPS=ordinal: how many writers share the groups (infra/writer-groups.ts) */
  AKOSHA_WRITER_REPLICAS: int(1, 256).optional(),
  /** this pod's name (Kubernetes downward API); with `ordinal`, its `-<n>` suffix is the writer's ordinal */
  AKOSHA_POD_NAME: z.string().default(''),
  AKOSHA_WRITER_CONCURRENCY: int(1, 64).default(4),
  AKOSHA_HOT_DUCKDB_THREADS: int(1, 256).default(HOT_STORE_DEFAULTS.duckdbThreads),
  AKOSHA_LEASE_TTL_MS: int(1000, 600_000).default(30_000),
  AKOSHA_EMBEDDER: z.enum(['hashing', 'model']).default('hashing'),
  AKOSHA_EMBEDDING_MODEL: z.string().min(1).default(EMBEDDER_DEFAULTS.model),
  AKOSHA_EMBEDDING_DTYPE: z.enum(['fp32', 'q8']).default(EMBEDDER_DEFAULTS.dtype),
  AKOSHA_EMBEDDING_WORKERS: int(0, 64).optional(),
  AKOSHA_EMBEDDING_BATCH: int(1, 128).default(EMBEDDER_DEFAULTS.batchSize),
  AKOSHA_EMBEDDING_NICE: int(0, 19).default(EMBEDDER_DEFAULTS.nice),
  AKOSHA_EMBEDDING_ALLOW_REMOTE: z.enum(['true', 'false']).default('false'),
  AKOSHA_WARM_AFTER_DAYS: int(1, 36_500).default(7),
  AKOSHA_COLD_AFTER_DAYS: int(1, 36_500).default(90),
  AKOSHA_RETENTION_DAYS: int(1, 36_500).default(2555),
  AKOSHA_COLD_S3_BUCKET: z.string().default(''),
  AKOSHA_COLD_S3_ENDPOINT: z.string().default(''),
  AKOSHA_COLD_S3_REGION: z.string().default('us-east-1'),
  AKOSHA_MAHAVISHNU_URL: z.string().default(MAHAVISHNU_DEFAULTS.url),
  AKOSHA_MAHAVISHNU_TIMEOUT_MS: int(100, 600_000).default(MAHAVISHNU_DEFAULTS.callTimeoutMs),
  AKOSHA_BREAKER_ERROR_PERCENT: int(1, 100).default(
    MAHAVISHNU_DEFAULTS.breaker.errorThresholdPercentage,
  ),
  AKOSHA_BREAKER_VOLUME: int(1, 1000).default(MAHAVISHNU_DEFAULTS.breaker.volumeThreshold),
  AKOSHA_BREAKER_RESET_MS: int(100, 3_600_000).default(MAHAVISHNU_DEFAULTS.breaker.resetTimeoutMs),
  AKOSHA_QUERY_CACHE: z.enum(['on', 'off']).default('on'),
  AKOSHA_REDIS_URL: z.string().default('redis://127.0.0.1:6379'),
  AKOSHA_QUERY_CACHE_ENTRIES: int(1, 10_000_000).default(10_000),
  AKOSHA_QUERY_CACHE_TTL_S: int(1, 86_400).default(300),
  AKOSHA_QUERY_CACHE_PREFIX: z
    .string()
    .regex(/^[A-Za-z0-9:_-]{1,64}$/)
    .default(QUERY_CACHE_DEFAULTS.prefix),
  // limits against abuse (api/limits, api/mcp/transport.ts, storage/tiers/cold-store.ts)
  AKOSHA_HTTP_BODY_LIMIT_BYTES: int(1024, 1024 * 1024 * 1024).default(
    HTTP_LIMIT_DEFAULTS.bodyLimitBytes,
  ),
  AKOSHA_MCP_BODY_LIMIT_BYTES: int(1024, 1024 * 1024 * 1024).default(
    HTTP_LIMIT_DEFAULTS.mcpBodyLimitBytes,
  ),
  AKOSHA_JSON_MAX_DEPTH: int(2, 1000).default(HTTP_LIMIT_DEFAULTS.jsonMaxDepth),
  AKOSHA_HTTP_REQUEST_TIMEOUT_MS: int(1000, 3_600_000).default(
    HTTP_LIMIT_DEFAULTS.requestTimeoutMs,
  ),
  AKOSHA_HTTP_CONNECTION_TIMEOUT_MS: int(1000, 3_600_000).default(
    HTTP_LIMIT_DEFAULTS.connectionTimeoutMs,
  ),
  AKOSHA_RATE_LIMIT_PER_MIN: int(1, 100_000_000).default(HTTP_LIMIT_DEFAULTS.ratePerMinute),
  AKOSHA_EMBEDDING_API_CONCURRENCY: int(1, 256).default(HTTP_LIMIT_DEFAULTS.embedding.concurrency),
  AKOSHA_EMBEDDING_API_QUEUE: int(0, 10_000).default(HTTP_LIMIT_DEFAULTS.embedding.queue),
  AKOSHA_MCP_ALLOWED_ORIGINS: z.string().default(''),
  AKOSHA_QUERY_CACHE_MAX_BYTES: int(1024, 64 * 1024 * 1024 * 1024).default(
    QUERY_CACHE_DEFAULTS.l1MaxBytes,
  ),
  AKOSHA_QUERY_CACHE_MAX_ENTRY_BYTES: int(1, 1024 * 1024 * 1024).default(
    QUERY_CACHE_DEFAULTS.maxEntryBytes,
  ),
  AKOSHA_COLD_MAX_OBJECTS: int(1, 100_000).default(COLD_READ_DEFAULTS.maxObjects),
  AKOSHA_COLD_READ_TIMEOUT_MS: int(100, 3_600_000).default(COLD_READ_DEFAULTS.timeoutMs),
  AKOSHA_COLD_COUNTS_TTL_S: int(0, 86_400).default(COLD_READ_DEFAULTS.countsTtlMs / 1000),
  // identities and permissions (auth/)
  AKOSHA_AUTH: z.enum(['on', 'off']).default('on'),
  AKOSHA_AUTH_TOKENS_FILE: z.string().default(''),
  AKOSHA_AUTH_JWT_SECRET: z.string().default(''),
  AKOSHA_AUTH_JWKS_URL: z.string().default(''),
  AKOSHA_AUTH_JWT_ISSUER: z.string().default(''),
  AKOSHA_AUTH_JWT_AUDIENCE: z.string().default(''),
  AKOSHA_AUTH_JWT_LEEWAY_S: int(0, 600).default(30),
  AKOSHA_AUTH_ANONYMOUS_ROLE: z
    .enum(['none', 'reader', 'writer', 'operator', 'admin'])
    .default('none'),
  AKOSHA_AUTH_ANONYMOUS_CIDRS: z.string().default(''),
  AKOSHA_METRICS_PUBLIC: z.enum(['true', 'false']).default('false'),
  AKOSHA_HTTP_TLS_CERT: z.string().default(''),
  AKOSHA_HTTP_TLS_KEY: z.string().default(''),
  AKOSHA_HTTP_TLS_CLIENT_CA: z.string().default(''),
  // NATS client credentials and TLS, honoured by every process and command
  AKOSHA_NATS_CREDS: z.string().default(''),
  AKOSHA_NATS_USER: z.string().default(''),
  AKOSHA_NATS_PASSWORD: z.string().default(''),
  AKOSHA_NATS_TLS_CA: z.string().default(''),
  AKOSHA_NATS_TLS_CERT: z.string().default(''),
  AKOSHA_NATS_TLS_KEY: z.string().default(''),
  AKOSHA_REDIS_PASSWORD: z.string().default(''),
  AKOSHA_REDIS_TLS_CA: z.string().default(''),
  AKOSHA_COLD_S3_CA: z.string().default(''),
  AKOSHA_MAHAVISHNU_TOKEN: z.string().default(''),
  AKOSHA_MAHAVISHNU_CA: z.string().default(''),
  // Session-Buddy's cloud uploads (cloud/): credentials from the AWS SDK's usual chain
  AKOSHA_SB_BUCKET: z.string().default(''),
  AKOSHA_SB_S3_ENDPOINT: z.string().default(''),
  AKOSHA_SB_S3_REGION: z.string().default('us-east-1'),
  AKOSHA_SB_S3_CA: z.string().default(''),
  AKOSHA_SB_POLL_S: int(1, 86_400).default(30),
  /**
   * MinIO bucket notifications published on this NATS subject; empty: polling only; unset:
   * `subjects.cloudEvents`, resolved in cloud/watcher.ts (subjects are spelled only in streams/)
   */
  AKOSHA_SB_EVENTS_SUBJECT: z.string().optional(),
  /** cap on one file of an upload, after decompression */
  AKOSHA_SB_MAX_FILE_BYTES: byteSize.default(4 * 2 ** 30),
  /** an upload with files but no manifest this long after its newest object is given up */
  AKOSHA_SB_ABANDON_H: int(1, 8760).default(24),
  // the knowledge graph (storage/graph/): `auto` = the writer that owns shard group 0
  AKOSHA_GRAPH_WRITER: z.enum(['auto', 'on', 'off']).default('auto'),
  // where the hot tier's vectors live (storage/hot-vectors.ts): each writer's embedded index,
  // or one Qdrant collection every writer writes and every API process searches
  AKOSHA_VECTOR_STORE: z.enum(['usearch', 'qdrant']).default('usearch'),
  AKOSHA_QDRANT_URL: z.string().default(''),
  /** the name Qdrant's own tools use; AKOSHA_QDRANT_URL wins */
  QDRANT_URL: z.string().default(''),
  AKOSHA_QDRANT_API_KEY: z.string().default(''),
  AKOSHA_QDRANT_COLLECTION: z
    .string()
    .regex(/^[A-Za-z0-9_-]{1,255}$/, 'letters, digits, _ and -')
    .default(QDRANT_DEFAULTS.collection),
  AKOSHA_QDRANT_TIMEOUT_MS: int(100, 600_000).default(QDRANT_DEFAULTS.timeoutMs),
  // audit trail (audit/)
  AKOSHA_AUDIT_MAX_AGE_DAYS: int(1, 36_500).default(365),
  AKOSHA_AUDIT_QUERIES: z.enum(['true', 'false']).default('false'),
  /** test-only: `<point>[@<hits>]` SIGKILLs the process at a named point (infra/fault-point.ts) */
  AKOSHA_FAULT_POINT: z
    .string()
    // eslint-disable-next-line security/detect-unsafe-regex -- linear: each repeat starts with a literal '@'
    .regex(/^([a-z:-]+(@[1-9]\d*)?)?$/, '<point> or <point>@<hits>')
    .default(''),
});

export type Env = z.infer<typeof EnvSchema>;
