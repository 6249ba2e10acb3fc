import type { JetStreamClient } from '@nats-io/jetstream';
import type { NatsConnection } from '@nats-io/transport-node';
import type { Readiness } from '../../app/readiness';
import type { GraphStore } from '../../storage/graph/types';
import type { HotStore } from '../../storage/hot-store';
import type { TierMover } from '../../storage/tiers';

/** What the query routes use of HttpDeps (which satisfies it). */
export interface QueryDeps {
  js: JetStreamClient;
  /** core NATS, for the aging trigger; absent: `POST /api/v1/aging/:tier` answers 503 */
  nc?: NatsConnection | undefined;
  /** a requeued upload is checked against this size, as the ingest stage checks it */
  maxPayloadBytes: number;
  /** absent in a process that owns no shards: memories and systems answer 503 */
  store?: HotStore | undefined;
  mover?: TierMover | undefined;
  /** absent in a process that holds no graph: the graph routes answer 503 */
  graph?: GraphStore | undefined;
  readiness: () => Readiness;
  /** AKOSHA_AUTH_TOKENS_FILE, listed by `GET /api/v1/tokens` */
  tokensFile?: string | undefined;
}
