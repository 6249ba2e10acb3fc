import { z } from 'zod';
import type { EmbedderOptions } from '../embedding/factory';
import type { HttpLimits } from '../api/limits/limits';
import type { ColdReadLimits } from '../storage/tiers/cold-limits';
import { parseFaultPoint } from './fault-point';

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
const EnvSchema = z.object({
  AKOSHA_NATS_URL: z.string().default('nats://127.0.0.1:4222'),
  AKOSHA_START_NATS: z.enum(['auto', 'never']).default('auto'),
  AKOSHA_NATS_SYNC: z.enum(['always', 'default']).default('default'),
  AKOSHA_DRAIN_TIMEOUT_MS: int(100, 3_600_000).default(30_000),
  AKOSHA_STREAM_REPLICAS: int(1, 5).default(1),
  AKOSHA_STREAMS_FORCE: z.enum(['true', 'false']).default('false'),
  // per-stream byte limits: their sum must fit the server's max_file_store (nats.conf: 20GB)
  AKOSHA_UPLOADS_MAX_BYTES: byteSize.default(8 * 2 ** 30),
  AKOSHA_EMBEDDED_MAX_BYTES: byteSize.default(4 * 2 ** 30),
  AKOSHA_INGESTED_MAX_BYTES: byteSize.default(2 ** 30),
  AKOSHA_DLQ_MAX_BYTES: byteSize.default(2 ** 30),
  AKOSHA_AUDIT_MAX_BYTES: byteSize.default(2 ** 30),
  AKOSHA_TIER_RECOVERY_BACKOFF_MS: msList.default([1000, 5000, 15_000, 30_000, 60_000]),
  AKOSHA_DATA_DIR: z.string().default('./data'),
  AKOSHA_HTTP_HOST: z.string().default('127.0.0.1'),
  AKOSHA_HTTP_PORT: int(0, 65535).default(8682),
  AKOSHA_SEARCH_PART_TIMEOUT_MS: int(10, 600_000).default(2000),
  AKOSHA_SEARCH_ROWS: z.enum(['memory', 'duckdb']).default('memory'),
  AKOSHA_INDEX_SAVE_INTERVAL_S: int(1, 86_400).default(300),
  AKOSHA_INDEX_QUANTIZATION: z.enum(['f32', 'i8']).default('i8'),
  AKOSHA_INDEX_EF_SEARCH: int(10, 4096).default(128),
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
    .regex(/^(all|\d+(-\d+)?(,\d+(-\d+)?)*)$/, '"all" or ranges like 0-7,12')
    .default('all'),
  AKOSHA_WRITER_CONCURRENCY: int(1, 64).default(4),
  AKOSHA_LEASE_TTL_MS: int(1000, 600_000).default(30_000),
  AKOSHA_EMBEDDER: z.enum(['hashing', 'model']).default('hashing'),
  AKOSHA_EMBEDDING_MODEL: z.string().min(1).default('Xenova/all-MiniLM-L6-v2'),
  AKOSHA_EMBEDDING_DTYPE: z.enum(['fp32', 'q8']).default('q8'),
  AKOSHA_EMBEDDING_WORKERS: int(0, 64).optional(),
  AKOSHA_EMBEDDING_BATCH: int(1, 128).default(32),
  AKOSHA_EMBEDDING_ALLOW_REMOTE: z.enum(['true', 'false']).default('false'),
  AKOSHA_WARM_AFTER_DAYS: int(1, 36_500).default(7),
  AKOSHA_COLD_AFTER_DAYS: int(1, 36_500).default(90),
  AKOSHA_RETENTION_DAYS: int(1, 36_500).default(2555),
  AKOSHA_COLD_S3_BUCKET: z.string().default(''),
  AKOSHA_COLD_S3_ENDPOINT: z.string().default(''),
  AKOSHA_COLD_S3_REGION: z.string().default('us-east-1'),
  AKOSHA_MAHAVISHNU_URL: z.string().default('http://127.0.0.1:8680'),
  AKOSHA_MAHAVISHNU_TIMEOUT_MS: int(100, 600_000).default(5000),
  AKOSHA_BREAKER_ERROR_PERCENT: int(1, 100).default(50),
  AKOSHA_BREAKER_VOLUME: int(1, 1000).default(3),
  AKOSHA_BREAKER_RESET_MS: int(100, 3_600_000).default(30_000),
  AKOSHA_QUERY_CACHE: z.enum(['on', 'off']).default('on'),
  AKOSHA_REDIS_URL: z.string().default('redis://127.0.0.1:6379'),
  AKOSHA_QUERY_CACHE_ENTRIES: int(1, 10_000_000).default(10_000),
  AKOSHA_QUERY_CACHE_TTL_S: int(1, 86_400).default(300),
  AKOSHA_QUERY_CACHE_PREFIX: z
    .string()
    .regex(/^[A-Za-z0-9:_-]{1,64}$/)
    .default('akosha:qc'),
  // limits against abuse (api/limits, api/mcp/transport.ts, storage/tiers/cold-store.ts)
  AKOSHA_HTTP_BODY_LIMIT_BYTES: int(1024, 1024 * 1024 * 1024).default(1024 * 1024),
  AKOSHA_MCP_BODY_LIMIT_BYTES: int(1024, 1024 * 1024 * 1024).default(8 * 1024 * 1024),
  AKOSHA_JSON_MAX_DEPTH: int(2, 1000).default(32),
  AKOSHA_HTTP_REQUEST_TIMEOUT_MS: int(1000, 3_600_000).default(60_000),
  AKOSHA_HTTP_CONNECTION_TIMEOUT_MS: int(1000, 3_600_000).default(120_000),
  AKOSHA_RATE_LIMIT_PER_MIN: int(1, 100_000_000).default(6000),
  AKOSHA_EMBEDDING_API_CONCURRENCY: int(1, 256).default(2),
  AKOSHA_EMBEDDING_API_QUEUE: int(0, 10_000).default(16),
  AKOSHA_MCP_ALLOWED_ORIGINS: z.string().default(''),
  AKOSHA_QUERY_CACHE_MAX_BYTES: int(1024, 64 * 1024 * 1024 * 1024).default(64 * 1024 * 1024),
  AKOSHA_QUERY_CACHE_MAX_ENTRY_BYTES: int(1, 1024 * 1024 * 1024).default(256 * 1024),
  AKOSHA_COLD_MAX_OBJECTS: int(1, 100_000).default(64),
  AKOSHA_COLD_READ_TIMEOUT_MS: int(100, 3_600_000).default(10_000),
  AKOSHA_COLD_COUNTS_TTL_S: int(0, 86_400).default(30),
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

export interface NatsConfig {
  url: string;
  startLocal: boolean;
  storeDir: string;
  /** `always`: fsync every JetStream write where the server can (2.10+ `sync_interval`) */
  sync: Env['AKOSHA_NATS_SYNC'];
  /** how this process proves who it is to the server, and checks the server (infra/nats-options.ts) */
  auth: {
    /** nkey seed file */
    creds: string;
    user: string;
    password: string;
  };
  /** PEM files; `ca` alone verifies the server, `cert` + `key` add a client certificate */
  tls: { ca: string; cert: string; key: string };
}

export interface StreamsConfig {
  /** never lowered below what the server holds unless `force` */
  replicas: number;
  /** apply lowers replicas and limits that the server holds higher */
  force: boolean;
  uploadsMaxAgeMs: number;
  /** how long AKOSHA_AUDIT keeps events (AKOSHA_AUDIT_MAX_AGE_DAYS) */
  auditMaxAgeMs: number;
  /** each stream's max_bytes (-1: none); a full stream refuses publishes (DiscardNew) */
  maxBytes: {
    uploads: number;
    embedded: number;
    ingested: number;
    deadLetters: number;
    audit: number;
  };
  duplicateWindowMs: number;
  maxMessageBytes: number;
  shardGroups: number;
  ackWaitMs: number;
  maxDeliver: number;
  backoffMs: number[];
}

/** How the batch loops pull: count, bytes, linger, and the ack_wait they keep alive. */
export interface PullConfig {
  batchSize: number;
  /** one pull request and one batch; never below the largest message (it must fit) */
  maxBatchBytes: number;
  batchLingerMs: number;
  ackWaitMs: number;
}

export interface IngestConfig extends PullConfig {
  workers: number;
  maxMessageBytes: number;
}

export interface WriterConfig extends PullConfig {
  groups: number[];
  /** writer lease of those groups: lapses ttlMs after the last renewal, renewed every renewEveryMs */
  lease: { ttlMs: number; renewEveryMs: number };
  concurrency: number;
  hotDir: string;
  /** where hot search results' fields come from (HotStoreOptions.searchRows) */
  searchRows: 'memory' | 'duckdb';
  indexSaveIntervalMs: number;
  graph: { quantization: 'f32' | 'i8'; expansionSearch: number };
  /** chunk rows are kept this long: the uploads stream's max age plus its duplicate window */
  chunkKeepMs: number;
  /** the writer's periodic outbox, index-repair and stranded-message pass */
  upkeep: { sweepEveryMs: number; incompleteAfterMs: number };
}

export interface BridgeConfig {
  /** empty: no Mahavishnu, every job runs on the local scheduler */
  mahavishnuUrl: string | null;
  callTimeoutMs: number;
  /** sent as `Authorization: Bearer`; empty: none */
  token: string;
  /** PEM file of the CA that signed Mahavishnu's https certificate; empty: the system's */
  caFile: string;
  breaker: { errorThresholdPercentage: number; volumeThreshold: number; resetTimeoutMs: number };
}

export interface AgingConfig {
  warmAfterDays: number;
  coldAfterDays: number;
  retentionDays: number;
  warmDir: string;
  /** cold objects go here when no S3 bucket is configured */
  coldDir: string;
  /** delays between background retries of an interrupted tier move's recovery */
  recoveryBackoffMs: number[];
  /** what one search or lookup may read of the cold tier (ColdReadLimits) */
  coldReads: ColdReadLimits;
  /** S3-compatible cold storage; credentials come from the AWS SDK's usual sources */
  s3?: {
    bucket: string;
    endpoint?: string;
    region: string;
    forcePathStyle: boolean;
    /** PEM file of a private CA for an https endpoint; empty: the system's */
    caFile: string;
  };
}

export interface HttpConfig {
  host: string;
  port: number;
  /** each shard of each tier must answer a search within this; else the result is partial */
  searchPartTimeoutMs: number;
  /** absent: plain HTTP */
  tls?: HttpTlsConfig;
  limits: HttpLimits;
}

export interface CacheConfig {
  enabled: boolean;
  /** empty: no Redis, each process caches on its own (L1 only) */
  redisUrl: string | null;
  l1Entries: number;
  ttlSeconds: number;
  /** Redis key namespace: processes serving the same data share it (and nothing else does) */
  prefix: string;
  /** kept out of the URL so that the URL can be logged; `rediss://` URLs verify against `tlsCa` */
  redisPassword: string;
  redisTlsCa: string;
  /** L1 holds at most this many bytes of answers (JSON text) */
  maxBytes: number;
  /** a larger answer is cached nowhere (neither L1 nor Redis) */
  maxEntryBytes: number;
}

export interface AuthConfig {
  /** `off`: no authentication at all (behind an authenticating proxy); warned at every start */
  mode: 'on' | 'off';
  tokensFile: string;
  jwt: {
    /** HS256 shared secret, or empty */
    secret: string;
    /** RS256/ES256 key set, or empty */
    jwksUrl: string;
    issuer: string;
    audience: string;
    leewaySeconds: number;
  };
  /** the role granted to callers without credentials from `anonymousCidrs`; none by default */
  anonymousRole: 'reader' | 'writer' | 'operator' | 'admin' | null;
  anonymousCidrs: string[];
  /** `/ready`, `/metrics` and the OpenAPI document open to everyone */
  metricsPublic: boolean;
}

/** Files (PEM) for the HTTP listener; `clientCa` asks for client certificates (mutual TLS). */
export interface HttpTlsConfig {
  cert: string;
  key: string;
  clientCa: string;
}

export interface AuditConfig {
  maxAgeMs: number;
  /** record the query text of searches (off: only scope, filters and hit count) */
  queries: boolean;
}

export interface AkoshaConfig {
  dataDir: string;
  /** SIGTERM: after this, stop waiting for the drain and close without acking */
  drainTimeoutMs: number;
  logLevel: Env['AKOSHA_LOG_LEVEL'];
  embedder: EmbedderOptions;
  nats: NatsConfig;
  streams: StreamsConfig;
  ingest: IngestConfig;
  writer: WriterConfig;
  http: HttpConfig;
  bridge: BridgeConfig;
  aging: AgingConfig;
  cache: CacheConfig;
  auth: AuthConfig;
  audit: AuditConfig;
  /** test-only kill point, null in normal runs */
  faultPoint: { point: string; hits: number } | null;
}

export class ConfigError extends Error {}

/** Parses the environment once; throws one error that lists every problem. */
export function loadConfig(env: Record<string, string | undefined> = process.env): AkoshaConfig {
  const parsed = EnvSchema.safeParse(env);
  if (!parsed.success) {
    const lines = parsed.error.issues.map((i) => `  ${i.path.join('.')}: ${i.message}`);
    throw new ConfigError(`invalid configuration:\n${lines.join('\n')}`);
  }
  return compile(parsed.data);
}

function compile(e: Env): AkoshaConfig {
  return {
    dataDir: e.AKOSHA_DATA_DIR,
    drainTimeoutMs: e.AKOSHA_DRAIN_TIMEOUT_MS,
    logLevel: e.AKOSHA_LOG_LEVEL,
    embedder: embedderSlice(e),
    nats: natsSlice(e),
    streams: streamsSlice(e),
    ingest: ingestSlice(e),
    writer: writerSlice(e),
    http: httpSlice(e),
    aging: agingSlice(e),
    bridge: bridgeSlice(e),
    cache: cacheSlice(e),
    auth: authSlice(e),
    audit: {
      maxAgeMs: e.AKOSHA_AUDIT_MAX_AGE_DAYS * 86_400_000,
      queries: e.AKOSHA_AUDIT_QUERIES === 'true',
    },
    faultPoint: parseFaultPoint(e.AKOSHA_FAULT_POINT),
  };
}

function embedderSlice(e: Env): EmbedderOptions {
  return {
    kind: e.AKOSHA_EMBEDDER,
    model: e.AKOSHA_EMBEDDING_MODEL,
    dtype: e.AKOSHA_EMBEDDING_DTYPE,
    batchSize: e.AKOSHA_EMBEDDING_BATCH,
    allowRemote: e.AKOSHA_EMBEDDING_ALLOW_REMOTE === 'true',
    cacheDir: `${e.AKOSHA_DATA_DIR}/models`,
    ...(e.AKOSHA_EMBEDDING_WORKERS !== undefined && { workers: e.AKOSHA_EMBEDDING_WORKERS }),
  };
}

function natsSlice(e: Env): NatsConfig {
  return {
    url: e.AKOSHA_NATS_URL,
    startLocal: e.AKOSHA_START_NATS === 'auto',
    storeDir: `${e.AKOSHA_DATA_DIR}/nats`,
    sync: e.AKOSHA_NATS_SYNC,
    auth: {
      creds: e.AKOSHA_NATS_CREDS,
      user: e.AKOSHA_NATS_USER,
      password: e.AKOSHA_NATS_PASSWORD,
    },
    tls: { ca: e.AKOSHA_NATS_TLS_CA, cert: e.AKOSHA_NATS_TLS_CERT, key: e.AKOSHA_NATS_TLS_KEY },
  };
}

function streamsSlice(e: Env): StreamsConfig {
  return {
    replicas: e.AKOSHA_STREAM_REPLICAS,
    force: e.AKOSHA_STREAMS_FORCE === 'true',
    uploadsMaxAgeMs: e.AKOSHA_UPLOADS_MAX_AGE_DAYS * 86_400_000,
    auditMaxAgeMs: e.AKOSHA_AUDIT_MAX_AGE_DAYS * 86_400_000,
    maxBytes: {
      uploads: e.AKOSHA_UPLOADS_MAX_BYTES,
      embedded: e.AKOSHA_EMBEDDED_MAX_BYTES,
      ingested: e.AKOSHA_INGESTED_MAX_BYTES,
      deadLetters: e.AKOSHA_DLQ_MAX_BYTES,
      audit: e.AKOSHA_AUDIT_MAX_BYTES,
    },
    duplicateWindowMs: e.AKOSHA_DUPLICATE_WINDOW_MS,
    maxMessageBytes: e.AKOSHA_MAX_MESSAGE_BYTES,
    shardGroups: e.AKOSHA_SHARD_GROUPS,
    ackWaitMs: e.AKOSHA_ACK_WAIT_MS,
    maxDeliver: e.AKOSHA_MAX_DELIVER,
    backoffMs: e.AKOSHA_BACKOFF_MS,
  };
}

function ingestSlice(e: Env): IngestConfig {
  return {
    workers: e.AKOSHA_INGEST_WORKERS,
    ...pullSlice(e),
    maxMessageBytes: e.AKOSHA_MAX_MESSAGE_BYTES,
  };
}

function writerSlice(e: Env): WriterConfig {
  return {
    groups: parseGroups(e.AKOSHA_WRITER_GROUPS, e.AKOSHA_SHARD_GROUPS),
    lease: { ttlMs: e.AKOSHA_LEASE_TTL_MS, renewEveryMs: Math.floor(e.AKOSHA_LEASE_TTL_MS / 3) },
    concurrency: e.AKOSHA_WRITER_CONCURRENCY,
    ...pullSlice(e),
    hotDir: `${e.AKOSHA_DATA_DIR}/hot`,
    searchRows: e.AKOSHA_SEARCH_ROWS,
    indexSaveIntervalMs: e.AKOSHA_INDEX_SAVE_INTERVAL_S * 1000,
    graph: { quantization: e.AKOSHA_INDEX_QUANTIZATION, expansionSearch: e.AKOSHA_INDEX_EF_SEARCH },
    chunkKeepMs: e.AKOSHA_UPLOADS_MAX_AGE_DAYS * 86_400_000 + e.AKOSHA_DUPLICATE_WINDOW_MS,
    upkeep: {
      sweepEveryMs: e.AKOSHA_OUTBOX_SWEEP_MS,
      incompleteAfterMs: e.AKOSHA_INCOMPLETE_UPLOAD_AFTER_S * 1000,
    },
  };
}

function pullSlice(e: Env): PullConfig {
  return {
    batchSize: e.AKOSHA_BATCH_SIZE,
    maxBatchBytes: Math.max(e.AKOSHA_PULL_MAX_BYTES, e.AKOSHA_MAX_MESSAGE_BYTES + 64 * 1024),
    batchLingerMs: e.AKOSHA_BATCH_LINGER_MS,
    ackWaitMs: e.AKOSHA_ACK_WAIT_MS,
  };
}

function httpSlice(e: Env): HttpConfig {
  if (!e.AKOSHA_HTTP_TLS_CERT && (e.AKOSHA_HTTP_TLS_KEY || e.AKOSHA_HTTP_TLS_CLIENT_CA)) {
    // else a listener meant to be TLS would quietly serve plain HTTP
    throw new ConfigError(
      'AKOSHA_HTTP_TLS_KEY and AKOSHA_HTTP_TLS_CLIENT_CA need AKOSHA_HTTP_TLS_CERT',
    );
  }
  return {
    host: e.AKOSHA_HTTP_HOST,
    port: e.AKOSHA_HTTP_PORT,
    searchPartTimeoutMs: e.AKOSHA_SEARCH_PART_TIMEOUT_MS,
    limits: {
      bodyLimitBytes: e.AKOSHA_HTTP_BODY_LIMIT_BYTES,
      mcpBodyLimitBytes: e.AKOSHA_MCP_BODY_LIMIT_BYTES,
      jsonMaxDepth: e.AKOSHA_JSON_MAX_DEPTH,
      requestTimeoutMs: e.AKOSHA_HTTP_REQUEST_TIMEOUT_MS,
      connectionTimeoutMs: e.AKOSHA_HTTP_CONNECTION_TIMEOUT_MS,
      ratePerMinute: e.AKOSHA_RATE_LIMIT_PER_MIN,
      embedding: {
        concurrency: e.AKOSHA_EMBEDDING_API_CONCURRENCY,
        queue: e.AKOSHA_EMBEDDING_API_QUEUE,
      },
      mcpAllowedOrigins: e.AKOSHA_MCP_ALLOWED_ORIGINS.split(',')
        .map((o) => o.trim())
        .filter(Boolean),
    },
    ...(e.AKOSHA_HTTP_TLS_CERT && {
      tls: {
        cert: e.AKOSHA_HTTP_TLS_CERT,
        key: e.AKOSHA_HTTP_TLS_KEY,
        clientCa: e.AKOSHA_HTTP_TLS_CLIENT_CA,
      },
    }),
  };
}

function agingSlice(e: Env): AgingConfig {
  return {
    warmAfterDays: e.AKOSHA_WARM_AFTER_DAYS,
    coldAfterDays: e.AKOSHA_COLD_AFTER_DAYS,
    retentionDays: e.AKOSHA_RETENTION_DAYS,
    warmDir: `${e.AKOSHA_DATA_DIR}/warm`,
    coldDir: `${e.AKOSHA_DATA_DIR}/cold`,
    recoveryBackoffMs: e.AKOSHA_TIER_RECOVERY_BACKOFF_MS,
    coldReads: {
      maxObjects: e.AKOSHA_COLD_MAX_OBJECTS,
      timeoutMs: e.AKOSHA_COLD_READ_TIMEOUT_MS,
      countsTtlMs: e.AKOSHA_COLD_COUNTS_TTL_S * 1000,
    },
    ...(e.AKOSHA_COLD_S3_BUCKET && { s3: coldS3(e) }),
  };
}

/** Only called when a bucket is set; an endpoint means a non-AWS store, which wants path-style URLs. */
function coldS3(e: Env): NonNullable<AgingConfig['s3']> {
  return {
    bucket: e.AKOSHA_COLD_S3_BUCKET,
    region: e.AKOSHA_COLD_S3_REGION,
    forcePathStyle: Boolean(e.AKOSHA_COLD_S3_ENDPOINT),
    caFile: e.AKOSHA_COLD_S3_CA,
    ...(e.AKOSHA_COLD_S3_ENDPOINT && { endpoint: e.AKOSHA_COLD_S3_ENDPOINT }),
  };
}

function bridgeSlice(e: Env): BridgeConfig {
  return {
    mahavishnuUrl: e.AKOSHA_MAHAVISHNU_URL || null,
    callTimeoutMs: e.AKOSHA_MAHAVISHNU_TIMEOUT_MS,
    token: e.AKOSHA_MAHAVISHNU_TOKEN,
    caFile: e.AKOSHA_MAHAVISHNU_CA,
    breaker: {
      errorThresholdPercentage: e.AKOSHA_BREAKER_ERROR_PERCENT,
      volumeThreshold: e.AKOSHA_BREAKER_VOLUME,
      resetTimeoutMs: e.AKOSHA_BREAKER_RESET_MS,
    },
  };
}

function cacheSlice(e: Env): CacheConfig {
  return {
    enabled: e.AKOSHA_QUERY_CACHE === 'on',
    redisUrl: e.AKOSHA_REDIS_URL || null,
    l1Entries: e.AKOSHA_QUERY_CACHE_ENTRIES,
    ttlSeconds: e.AKOSHA_QUERY_CACHE_TTL_S,
    prefix: e.AKOSHA_QUERY_CACHE_PREFIX,
    redisPassword: e.AKOSHA_REDIS_PASSWORD,
    redisTlsCa: e.AKOSHA_REDIS_TLS_CA,
    maxBytes: e.AKOSHA_QUERY_CACHE_MAX_BYTES,
    maxEntryBytes: e.AKOSHA_QUERY_CACHE_MAX_ENTRY_BYTES,
  };
}

const commaList = (s: string) =>
  s
    .split(',')
    .map((x) => x.trim())
    .filter(Boolean);

function authSlice(e: Env): AuthConfig {
  return {
    mode: e.AKOSHA_AUTH,
    tokensFile: e.AKOSHA_AUTH_TOKENS_FILE || `${e.AKOSHA_DATA_DIR}/auth/tokens.json`,
    jwt: {
      secret: e.AKOSHA_AUTH_JWT_SECRET,
      jwksUrl: e.AKOSHA_AUTH_JWKS_URL,
      issuer: e.AKOSHA_AUTH_JWT_ISSUER,
      audience: e.AKOSHA_AUTH_JWT_AUDIENCE,
      leewaySeconds: e.AKOSHA_AUTH_JWT_LEEWAY_S,
    },
    anonymousRole: e.AKOSHA_AUTH_ANONYMOUS_ROLE === 'none' ? null : e.AKOSHA_AUTH_ANONYMOUS_ROLE,
    anonymousCidrs: commaList(e.AKOSHA_AUTH_ANONYMOUS_CIDRS),
    metricsPublic: e.AKOSHA_METRICS_PUBLIC === 'true',
  };
}

/** "all" → every group; "0-3,7" → [0,1,2,3,7]. */
export function parseGroups(spec: string, groupCount: number): number[] {
  if (spec === 'all') return Array.from({ length: groupCount }, (_, i) => i);
  const groups = new Set<number>();
  for (const part of spec.split(',')) {
    const [from, to = from] = part.split('-').map(Number) as [number, number?];
    for (let g = from; g <= to; g++) {
      if (g >= groupCount)
        throw new ConfigError(`writer group ${g} >= AKOSHA_SHARD_GROUPS ${groupCount}`);
      groups.add(g);
    }
  }
  return [...groups].sort((a, b) => a - b);
}
