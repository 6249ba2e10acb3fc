import type {
  AgingConfig,
  AkoshaConfig,
  AuthConfig,
  BridgeConfig,
  CacheConfig,
  CloudConfig,
  HttpConfig,
  IngestConfig,
  NatsConfig,
  PullConfig,
  StreamsConfig,
  WriterConfig,
} from './config-types';
import { QDRANT_DEFAULTS } from './defaults';
import { EnvSchema, type Env } from './env-schema';
import { parseFaultPoint } from './fault-point';
import { ordinalGroupSets, podOrdinal } from './writer-groups';
import type { EmbedderOptions, VectorStoreOptions } from './option-types';

export type * from './config-types';
export type { Env } from './env-schema';

export class ConfigError extends Error {
  override name = 'ConfigError';
}

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
    ...(e.AKOSHA_SB_BUCKET && { cloud: cloudSlice(e) }),
    graph: { writer: e.AKOSHA_GRAPH_WRITER, file: `${e.AKOSHA_DATA_DIR}/hot/graph.duckdb` },
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
    nice: e.AKOSHA_EMBEDDING_NICE,
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
      graph: e.AKOSHA_GRAPH_MAX_BYTES,
      cloud: e.AKOSHA_CLOUD_MAX_BYTES,
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
    groups: writerGroups(e),
    lease: { ttlMs: e.AKOSHA_LEASE_TTL_MS, renewEveryMs: Math.floor(e.AKOSHA_LEASE_TTL_MS / 3) },
    concurrency: e.AKOSHA_WRITER_CONCURRENCY,
    duckdbThreads: e.AKOSHA_HOT_DUCKDB_THREADS,
    ...pullSlice(e),
    hotDir: `${e.AKOSHA_DATA_DIR}/hot`,
    searchRows: e.AKOSHA_SEARCH_ROWS,
    indexSaveIntervalMs: e.AKOSHA_INDEX_SAVE_INTERVAL_S * 1000,
    graph: {
      quantization: e.AKOSHA_INDEX_QUANTIZATION,
      expansionSearch: e.AKOSHA_INDEX_EF_SEARCH,
      residentBytes: e.AKOSHA_INDEX_RESIDENT_MB * 2 ** 20,
      graphThread:
        e.AKOSHA_INDEX_GRAPH_THREAD === 'auto' ? 'auto' : e.AKOSHA_INDEX_GRAPH_THREAD === 'on',
    },
    chunkKeepMs: e.AKOSHA_UPLOADS_MAX_AGE_DAYS * 86_400_000 + e.AKOSHA_DUPLICATE_WINDOW_MS,
    upkeep: {
      sweepEveryMs: e.AKOSHA_OUTBOX_SWEEP_MS,
      incompleteAfterMs: e.AKOSHA_INCOMPLETE_UPLOAD_AFTER_S * 1000,
    },
    vectorStore: vectorStoreSlice(e),
  };
}

/** Qdrant needs a URL: AKOSHA_QDRANT_URL, else QDRANT_URL. The API key is never logged. */
function vectorStoreSlice(e: Env): VectorStoreOptions {
  if (e.AKOSHA_VECTOR_STORE === 'usearch') return { kind: 'usearch' };
  const url = e.AKOSHA_QDRANT_URL || e.QDRANT_URL;
  if (!/^https?:\/\/[^/]/.test(url))
    throw new ConfigError(
      `AKOSHA_VECTOR_STORE=qdrant needs AKOSHA_QDRANT_URL (or QDRANT_URL) as http(s)://host:port, not "${url}"`,
    );
  return {
    kind: 'qdrant',
    qdrant: {
      url,
      collection: e.AKOSHA_QDRANT_COLLECTION,
      timeoutMs: e.AKOSHA_QDRANT_TIMEOUT_MS,
      hnswEf:
        e.AKOSHA_INDEX_EF_SEARCH === 'auto' ? QDRANT_DEFAULTS.hnswEf : e.AKOSHA_INDEX_EF_SEARCH,
      ...(e.AKOSHA_QDRANT_API_KEY && { apiKey: e.AKOSHA_QDRANT_API_KEY }),
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
    scatterTimeoutMs: e.AKOSHA_SCATTER_TIMEOUT_MS,
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

/** Only called when a bucket is set; an endpoint means a non-AWS store (MinIO), path-style. */
function cloudSlice(e: Env): CloudConfig {
  return {
    bucket: e.AKOSHA_SB_BUCKET,
    region: e.AKOSHA_SB_S3_REGION,
    forcePathStyle: Boolean(e.AKOSHA_SB_S3_ENDPOINT),
    caFile: e.AKOSHA_SB_S3_CA,
    ...(e.AKOSHA_SB_S3_ENDPOINT && { endpoint: e.AKOSHA_SB_S3_ENDPOINT }),
    pollMs: e.AKOSHA_SB_POLL_S * 1000,
    ...(e.AKOSHA_SB_EVENTS_SUBJECT !== undefined && { eventsSubject: e.AKOSHA_SB_EVENTS_SUBJECT }),
    maxFileBytes: e.AKOSHA_SB_MAX_FILE_BYTES,
    abandonAfterMs: e.AKOSHA_SB_ABANDON_H * 3_600_000,
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

/** The groups this writer owns: a list, every group, or those of its StatefulSet ordinal. */
function writerGroups(e: Env): number[] {
  if (e.AKOSHA_WRITER_GROUPS !== 'ordinal')
    return parseGroups(e.AKOSHA_WRITER_GROUPS, e.AKOSHA_SHARD_GROUPS);
  return groupsOfOrdinal(e.AKOSHA_POD_NAME, e.AKOSHA_WRITER_REPLICAS, e.AKOSHA_SHARD_GROUPS);
}

/** `ordinal`: the pod name's `-<n>` suffix picks this writer's share (infra/writer-groups.ts). */
export function groupsOfOrdinal(
  podName: string,
  replicas: number | undefined,
  groupCount: number,
): number[] {
  const ordinal = podOrdinal(podName);
  if (ordinal === undefined)
    throw new ConfigError(
      `AKOSHA_WRITER_GROUPS=ordinal needs AKOSHA_POD_NAME ending in -<ordinal>, not "${podName}"`,
    );
  if (replicas === undefined || replicas > groupCount || ordinal >= replicas)
    throw new ConfigError(
      `AKOSHA_WRITER_GROUPS=ordinal needs AKOSHA_WRITER_REPLICAS between ${ordinal + 1} ` +
        `(pod ${podName}) and AKOSHA_SHARD_GROUPS ${groupCount}, not ${replicas ?? 'unset'}`,
    );
  return ordinalGroupSets(replicas, groupCount)[ordinal]!;
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
