import type { Env } from './env-schema';
import type {
  ColdReadLimits,
  EmbedderOptions,
  HttpLimits,
  VectorStoreOptions,
} from './option-types';

/** What each part of Akosha is given of the settings (compiled from the environment by config.ts). */

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
    graph: number;
    cloud: number;
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
  /** threads of the hot tier's DuckDB instance (HotStoreOptions.duckdbThreads) */
  duckdbThreads: number;
  hotDir: string;
  /** where hot search results' fields come from (HotStoreOptions.searchRows) */
  searchRows: 'memory' | 'duckdb';
  indexSaveIntervalMs: number;
  /** the hot graph; residentBytes: UsearchIndexOptions.residentBytes */
  graph: {
    quantization: 'f32' | 'i8';
    /** `auto`: it follows the index's size */
    expansionSearch: number | 'auto';
    residentBytes: number;
    /** `auto`: where the process may run on two cores or more */
    graphThread: boolean | 'auto';
  };
  /** chunk rows are kept this long: the uploads stream's max age plus its duplicate window */
  chunkKeepMs: number;
  /** the writer's periodic outbox, index-repair and stranded-message pass */
  upkeep: { sweepEveryMs: number; incompleteAfterMs: number };
  /** where the hot tier's vectors live; API processes search a shared Qdrant directly */
  vectorStore: VectorStoreOptions;
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

/** Session-Buddy's cloud uploads (cloud/): where to look, how often, and the bounds of one upload. */
export interface CloudConfig {
  bucket: string;
  endpoint?: string;
  region: string;
  forcePathStyle: boolean;
  /** PEM file of a private CA for an https endpoint; empty: the system's (and NODE_EXTRA_CA_CERTS) */
  caFile: string;
  pollMs: number;
  /** core NATS subject of MinIO bucket notifications; empty: none; absent: `subjects.cloudEvents` */
  eventsSubject?: string;
  maxFileBytes: number;
  abandonAfterMs: number;
}

export interface GraphConfig {
  /** whether this process writes the knowledge graph (consumer `graph`, `<hot dir>/graph.duckdb`) */
  writer: 'auto' | 'on' | 'off';
  file: string;
}

export interface HttpConfig {
  host: string;
  port: number;
  /** each shard of each tier must answer a search within this; else the result is partial */
  searchPartTimeoutMs: number;
  /** a writer process asked over NATS (scatter-gather) must answer within this, else it is listed in `failed` */
  scatterTimeoutMs: number;
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
  /** absent: no Session-Buddy bucket (AKOSHA_SB_BUCKET empty), the `cloud` role has nothing to do */
  cloud?: CloudConfig;
  graph: GraphConfig;
  /** test-only kill point, null in normal runs */
  faultPoint: { point: string; hits: number } | null;
}
