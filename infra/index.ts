/**
 * What every part runs on: the configuration (one environment schema) and option types, logger,
 * metrics, clocks, coded errors, NATS connection and options, TLS files, address matching,
 * fault points and shared defaults. Depends on no other folder.
 */

export { AddressMatcher, isLoopbackAddress, isLoopbackHost } from './cidr';
export { preciseNowMs, systemClock } from './clock';
export type { Clock } from './clock';
export type {
  AgingConfig,
  AkoshaConfig,
  AuthConfig,
  CloudConfig,
  HttpTlsConfig,
  StreamsConfig,
} from './config-types';
export { ConfigError, loadConfig } from './config';
export {
  COLD_READ_DEFAULTS,
  EMBEDDER_DEFAULTS,
  HOT_INDEX_DEFAULTS,
  HOT_STORE_DEFAULTS,
  HTTP_LIMIT_DEFAULTS,
  MAHAVISHNU_DEFAULTS,
  QDRANT_DEFAULTS,
  QUERY_CACHE_DEFAULTS,
} from './defaults';
export { PACKAGE_ROOT, workerThreadCode } from './entry-files';
export { duringRead, yieldToEventLoop } from './event-loop';
export { currentThreadId, lowerThreadPriority, setThreadNice } from './thread-priority';
export { exitProcess, startWorker } from './owned-workers';
export { AkoshaError, ErrorCodes, issuesFrom, toAkoshaError } from './errors';
export type { ErrorCode, Issue } from './errors';
export { armFaultPoint, hitFaultPoint, hitPoisonPoint } from './fault-point';
export { createLogger } from './logger';
export type { Logger } from './logger';
export { settleWithin, type Settled } from './settle';
export { createMetrics } from './metrics';
export type { Metrics } from './metrics';
export type { IngestionStatus, QueryOutcome, StoreSizes } from './service-metrics';
export { inboxPrefixOf, natsConnectOptions } from './nats-options';
export type { NatsClientSettings } from './nats-options';
export type { NatsSyncStatus } from './nats-sync';
export { connectOrStartNats, logNatsStatus } from './nats';
export type { NatsHandle } from './nats';
export type {
  ColdReadLimits,
  EmbedderOptions,
  HttpLimits,
  ModelDtype,
  QdrantHotOptions,
  VectorStoreOptions,
} from './option-types';
export { ServerClock } from './server-clock';
export { TlsFileError, explainCertError, readPemFile, withCertAdvice } from './tls-files';
