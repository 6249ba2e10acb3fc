import type { JetStreamClient } from '@nats-io/jetstream';
import type { NatsConnection } from '@nats-io/transport-node';
import type { Metrics } from '../../infra';
import type { Readiness } from '../readiness';
import type { QueryBackend } from '../query-backend';

/** What the query routes use of HttpDeps and the query backend built from them. */
export interface QueryDeps {
  js: JetStreamClient;
  /** core NATS, for the aging trigger; absent: `POST /api/v1/aging/:tier` answers 503 */
  nc?: NatsConnection | undefined;
  /** a requeued upload is checked against this size, as the ingest stage checks it */
  maxPayloadBytes: number;
  /** memories, systems, graph and status: this process's tiers, or the writers' over NATS */
  query: QueryBackend;
  readiness: () => Readiness;
  /** the query cache's lookups, for `GET /api/v1/cache` */
  metrics: Metrics;
  /** AKOSHA_AUTH_TOKENS_FILE, listed by `GET /api/v1/tokens` */
  tokensFile?: string | undefined;
}
