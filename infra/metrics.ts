import { Counter, Gauge, Histogram, Registry, collectDefaultMetrics } from 'prom-client';
import { cloudMetrics } from './cloud-metrics';
import { graphMetrics } from './graph-metrics';
import { httpMetrics, ingestionMetrics, queryMetrics, storeSizeMetrics } from './service-metrics';

const LATENCY_BUCKETS = [0.001, 0.0025, 0.005, 0.01, 0.025, 0.05, 0.1, 0.25, 0.5, 1, 2.5, 5, 10];
/** One step of one message: from a fraction of a millisecond (idle) to a backlog's seconds. */
const STAGE_BUCKETS = [
  0.0005, 0.001, 0.002, 0.005, 0.01, 0.025, 0.05, 0.1, 0.25, 0.5, 1, 2.5, 5, 10,
];

/** Every metric Akosha exports. Created once per process and injected; labels are bounded. */
export function createMetrics(registry = new Registry()) {
  collectDefaultMetrics({ register: registry, prefix: 'akosha_process_' });
  const r = [registry];
  return {
    registry,
    ...ingestMetrics(r),
    ...deliveryMetrics(r),
    ...tierMetrics(r),
    ...queryCacheMetrics(r),
    ...cloudMetrics(r),
    ...graphMetrics(r),
    ...ingestionMetrics(r),
    ...queryMetrics(r),
    ...httpMetrics(r),
    ...storeSizeMetrics(r),
    auditDropped: new Counter({
      name: 'akosha_audit_dropped_total',
      help: 'Audit events not recorded: queue full (overflow) or publish failed after retries (failed).',
      labelNames: ['reason'] as const,
      registers: r,
    }),
  };
}

/** The ingest pipeline: the embed and write stages, their dead letters and consumer backlog. */
function ingestMetrics(r: Registry[]) {
  return {
    ingestMessages: new Counter({
      name: 'akosha_ingest_messages_total',
      help: 'Messages handled by an ingest stage, by outcome (ok, dead_lettered, retried).',
      labelNames: ['stage', 'outcome'] as const,
      registers: r,
    }),
    ingestRecords: new Counter({
      name: 'akosha_ingest_records_total',
      help: 'Records handled, by outcome (stored, duplicate, rejected).',
      labelNames: ['outcome'] as const,
      registers: r,
    }),
    ingestDuration: new Histogram({
      name: 'akosha_ingest_duration_seconds',
      help: 'Time to process one batch in a stage (embed or write).',
      labelNames: ['stage'] as const,
      buckets: LATENCY_BUCKETS,
      registers: r,
    }),
    embedDuration: new Histogram({
      name: 'akosha_embed_duration_seconds',
      help: 'Time to embed one batch of texts.',
      labelNames: ['embedder'] as const,
      buckets: LATENCY_BUCKETS,
      registers: r,
    }),
    deadLetters: new Counter({
      name: 'akosha_dead_letters_total',
      help: 'Dead letters published, by stage and reason code.',
      labelNames: ['stage', 'code'] as const,
      registers: r,
    }),
    consumerPending: new Gauge({
      name: 'akosha_consumer_pending',
      help: 'Messages not yet delivered plus delivered but unacknowledged, per durable consumer.',
      labelNames: ['stream', 'consumer'] as const,
      registers: r,
    }),
    ingestedEvents: new Counter({
      name: 'akosha_ingested_events_total',
      help: 'Ingest-complete events published.',
      registers: r,
    }),
    stageLatency: new Histogram({
      name: 'akosha_stage_latency_seconds',
      help:
        'Time one message spends in each step from upload to event: upload_wait (stored → embed ' +
        'stage received), embed (received → hand-off acked), embedded_wait (hand-off stored → ' +
        'writer received), write (received → COMMIT), announce (COMMIT → event acked).',
      labelNames: ['stage'] as const,
      buckets: STAGE_BUCKETS,
      registers: r,
    }),
  };
}

/** What stands between a stored upload and its announcement, and what waits on a stalled sink. */
function deliveryMetrics(r: Registry[]) {
  return {
    writerStalled: new Gauge({
      name: 'akosha_writer_stalled',
      help: 'The shard writer has stopped pulling because its storage fails (disk_full, io_error).',
      labelNames: ['reason'] as const,
      registers: r,
    }),
    announcePending: new Gauge({
      name: 'akosha_announce_pending',
      help: 'Stored uploads whose ingest-complete event is not acknowledged yet (last sweep).',
      registers: r,
    }),
    announceFailures: new Counter({
      name: 'akosha_announce_failures_total',
      help: 'Ingest-complete publishes that failed; the outbox sweep announces them later.',
      registers: r,
    }),
    uploadsIncomplete: new Gauge({
      name: 'akosha_uploads_incomplete',
      help: 'Uploads partly written long ago and never completed (a producer died mid-upload).',
      registers: r,
    }),
    indexStaleShards: new Gauge({
      name: 'akosha_index_stale_shards',
      help: 'Hot shards whose vector index misses committed rows until repaired.',
      registers: r,
    }),
    indexWaitingPoints: new Gauge({
      name: 'akosha_index_waiting_points',
      help: 'Hot points a replay stored that the HNSW graph does not hold yet (searched exactly meanwhile).',
      registers: r,
    }),
    clockSkew: new Gauge({
      name: 'akosha_clock_skew_seconds',
      help: "This writer's clock minus the NATS server's, at its last aging pass.",
      registers: r,
    }),
    strandedMessages: new Counter({
      name: 'akosha_stranded_messages_total',
      help: 'Work-queue messages found past max_deliver without a letter, and dead-lettered.',
      labelNames: ['stream'] as const,
      registers: r,
    }),
  };
}

/** Tier moves (storage/tiers/) and what each tier holds. */
function tierMetrics(r: Registry[]) {
  return {
    ...tierMoveMetrics(r),
    tierRecords: new Gauge({
      name: 'akosha_tier_records',
      help: 'Records per tier in the shards this process owns, as of the last aging pass.',
      labelNames: ['tier'] as const,
      registers: r,
    }),
    tierBytes: new Gauge({
      name: 'akosha_tier_bytes',
      help: 'Bytes per tier (hot: shard files; cold: objects), as of the last aging pass.',
      labelNames: ['tier'] as const,
      registers: r,
    }),
    hotRecords: new Gauge({
      name: 'akosha_hot_records',
      help: 'Records in the hot tier shards this process owns.',
      registers: r,
    }),
    tierRecoveryPending: new Gauge({
      name: 'akosha_tier_recovery_pending_shards',
      help: 'Shards whose interrupted tier move is not finished yet (retried in the background); no move starts there.',
      registers: r,
    }),
  };
}

function tierMoveMetrics(r: Registry[]) {
  return {
    migrationRecords: new Counter({
      name: 'akosha_migration_records_total',
      help: 'Records moved between tiers, by outcome (ok, verify_failed, error).',
      labelNames: ['source_tier', 'target_tier', 'status'] as const,
      registers: r,
    }),
    migrationBytes: new Counter({
      name: 'akosha_migration_bytes_total',
      help: 'Bytes written to the target tier by moves (cold objects).',
      labelNames: ['target_tier'] as const,
      registers: r,
    }),
    checksumMismatches: new Counter({
      name: 'akosha_checksum_mismatches_total',
      help: 'Tier moves aborted because the copy did not verify, by reason code.',
      labelNames: ['code'] as const,
      registers: r,
    }),
    moveDuration: new Histogram({
      name: 'akosha_move_duration_seconds',
      help: 'Time of one verified tier move of one shard.',
      labelNames: ['source_tier', 'target_tier'] as const,
      buckets: [0.01, 0.05, 0.1, 0.5, 1, 5, 10, 30, 60, 300],
      registers: r,
    }),
  };
}

/** The search service's query cache (api/query-cache.ts). */
function queryCacheMetrics(r: Registry[]) {
  const requests = new Counter({
    name: 'akosha_query_cache_requests_total',
    help: 'Query cache lookups by layer and outcome; every lookup reaches l1, every l1 miss l2.',
    labelNames: ['layer', 'outcome'] as const,
    registers: r,
  });
  return {
    queryCacheRequests: requests,
    queryCacheHitRatio: new Gauge({
      name: 'akosha_query_cache_hit_ratio',
      help: 'Lookups answered by either layer / all lookups, over the process lifetime.',
      registers: r,
      // derived from the counter at scrape time, so it is right for any number of caches
      async collect() {
        this.set(hitRatio((await requests.get()).values));
      },
    }),
    queryCacheErrors: new Counter({
      name: 'akosha_query_cache_errors_total',
      help: 'Query cache Redis operations that failed, timed out or were skipped while it was down.',
      labelNames: ['op'] as const,
      registers: r,
    }),
    queryCacheInvalidations: new Counter({
      name: 'akosha_query_cache_invalidations_total',
      help: 'Systems invalidated in the query cache (one per system per invalidate call).',
      registers: r,
    }),
  };
}

function hitRatio(values: { value: number; labels: Record<string, string | number> }[]): number {
  let hits = 0;
  let lookups = 0;
  for (const { value, labels } of values) {
    if (labels.outcome === 'hit') hits += value;
    if (labels.layer === 'l1') lookups += value;
  }
  return lookups === 0 ? 0 : hits / lookups;
}

export type Metrics = ReturnType<typeof createMetrics>;
