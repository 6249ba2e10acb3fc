import { Counter, Gauge, Histogram, type Registry } from 'prom-client';

/** Seconds: from tens of milliseconds (an idle pipeline) to minutes (a backlog, retries). */
const INGESTION_BUCKETS = [0.01, 0.025, 0.05, 0.1, 0.25, 0.5, 1, 2.5, 5, 10, 30, 60, 120, 300, 600];
/** Seconds, finer around 0.5 s: the query latency alert's threshold. */
const QUERY_BUCKETS = [0.005, 0.01, 0.025, 0.05, 0.1, 0.25, 0.4, 0.5, 0.75, 1, 2.5, 5, 10];
const HTTP_BUCKETS = [0.001, 0.005, 0.01, 0.025, 0.05, 0.1, 0.25, 0.5, 1, 2.5, 5, 10];

/** How an upload left the ingest consumer (akosha_ingestion_requests_total's `status`). */
export type IngestionStatus = 'accepted' | 'rejected' | 'failed' | 'retried';

/**
 * The ingest consumer (embed stage) as the deployment plan names it: uploads by status,
 * publish-to-hand-off time and the consumer's backlog.
 */
export function ingestionMetrics(r: Registry[]) {
  return {
    ingestionRequests: new Counter({
      name: 'akosha_ingestion_requests_total',
      help:
        'Uploads settled by the ingest consumer: accepted (handed to the shard writers), rejected ' +
        '(invalid, dead-lettered), failed (dead-lettered after retries), retried (redelivered later).',
      labelNames: ['status'] as const,
      registers: r,
    }),
    ingestionDuration: new Histogram({
      name: 'akosha_ingestion_duration_seconds',
      help:
        'Accepted uploads: from the broker storing the upload (its stream timestamp) until the ingest ' +
        'consumer handed it to the shard writers and acked it; queue wait and retries included.',
      buckets: INGESTION_BUCKETS,
      registers: r,
    }),
    ingestionQueueSize: new Gauge({
      name: 'akosha_ingestion_queue_size',
      help: 'Uploads waiting for or held by the ingest consumer (pending plus unacknowledged).',
      registers: r,
    }),
  };
}

/** Query outcome: answered whole, answered with some shards or writers missing, or failed. */
export type QueryOutcome = 'ok' | 'partial' | 'error';

/** Searches and lookups of the query API, by endpoint (`search`, `mcp_search`, `memory`, `systems`). */
export function queryMetrics(r: Registry[]) {
  return {
    queryRequests: new Counter({
      name: 'akosha_query_requests_total',
      help: 'Queries run, by endpoint (search, mcp_search, memory, systems) and outcome (ok, partial, error).',
      labelNames: ['endpoint', 'outcome'] as const,
      registers: r,
    }),
    queryDuration: new Histogram({
      name: 'akosha_query_duration_seconds',
      help: 'Time to run one query (embedding, cache, fan-out over shards and tiers), by endpoint.',
      labelNames: ['endpoint'] as const,
      buckets: QUERY_BUCKETS,
      registers: r,
    }),
  };
}

/** HTTP requests by the route's pattern (never the raw URL); unmatched routes share one value. */
export function httpMetrics(r: Registry[]) {
  return {
    httpRequests: new Counter({
      name: 'akosha_http_requests_total',
      help: 'HTTP requests answered, by method, route pattern (unmatched: no route) and status code.',
      labelNames: ['method', 'route', 'status'] as const,
      registers: r,
    }),
    httpDuration: new Histogram({
      name: 'akosha_http_request_duration_seconds',
      help: 'Time from receiving an HTTP request to sending its reply, by method and route pattern.',
      labelNames: ['method', 'route'] as const,
      buckets: HTTP_BUCKETS,
      registers: r,
    }),
  };
}

/** Bytes of one writer's hot and warm files. */
export interface StoreSizes {
  hot: number;
  warm: number;
}

/**
 * Store sizes on disk, read at scrape time (a stat of each shard file) so that they are
 * current between aging passes. A process without a writer exports 0.
 */
export function storeSizeMetrics(r: Registry[]) {
  let read: (() => StoreSizes) | undefined;
  const sizes = () => {
    try {
      return read?.();
    } catch {
      return undefined; // a store closing under the scrape: keep the last value
    }
  };
  return {
    hotStoreBytes: new Gauge({
      name: 'akosha_hot_store_size_bytes',
      help: "Bytes of this writer's hot shard files (DuckDB database and write-ahead log).",
      registers: r,
      collect() {
        const s = sizes();
        if (s) this.set(s.hot);
      },
    }),
    warmStoreBytes: new Gauge({
      name: 'akosha_warm_store_size_bytes',
      help: "Bytes of this writer's warm shard files (DuckDB database and write-ahead log).",
      registers: r,
      collect() {
        const s = sizes();
        if (s) this.set(s.warm);
      },
    }),
    /** Where the store size gauges read from; the writer's stores, once open. */
    measureStoreSizes(source: () => StoreSizes): void {
      read = source;
    },
  };
}
