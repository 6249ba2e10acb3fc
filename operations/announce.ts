import { jetstream } from '@nats-io/jetstream';
import type { NatsConnection } from '@nats-io/transport-node';
import { Announcer, type AnnounceStore, HandOff, type SweepResult } from '../consumers';
import { createMetrics, type Logger } from '../infra';
import type { EmbedderInfo } from '../schemas';

/**
 * Announces the completed uploads of the store's shards that no event announced yet
 * (after a replay: those the live path lost with the shard), each once: events already
 * in AKOSHA_INGESTED only flag theirs.
 */
export function announcePending(
  nc: NatsConnection,
  store: AnnounceStore,
  embedder: EmbedderInfo,
  log: Logger,
): Promise<SweepResult> {
  const events = new HandOff(jetstream(nc), log);
  const announcer = new Announcer({ nc, events, store, metrics: createMetrics(), log });
  return announcer.sweep(embedder);
}
