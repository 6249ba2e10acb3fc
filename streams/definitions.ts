import {
  AckPolicy,
  DeliverPolicy,
  DiscardPolicy,
  RetentionPolicy,
  StorageType,
  type ConsumerConfig,
  type StreamConfig,
} from '@nats-io/jetstream';
import { nanos } from '@nats-io/transport-node';
import type { StreamsConfig } from '../infra/config';

export type StreamDefinition = Partial<StreamConfig> & { name: string; subjects: string[] };
export type ConsumerDefinition = Partial<ConsumerConfig> & { durable_name: string; stream: string };

export const STREAM = {
  uploads: 'AKOSHA_UPLOADS',
  embedded: 'AKOSHA_EMBEDDED',
  ingested: 'AKOSHA_INGESTED',
  deadLetters: 'AKOSHA_DLQ',
  audit: 'AKOSHA_AUDIT',
} as const;

export const INGEST_CONSUMER = 'ingest';
export const writerConsumerName = (group: number) => `writer-g${String(group).padStart(3, '0')}`;

const DAY_MS = 86_400_000;

/** Streams as data: `applyTopology` creates or updates exactly these. */
export function streamDefinitions(c: StreamsConfig): StreamDefinition[] {
  const common = {
    storage: StorageType.File,
    discard: DiscardPolicy.Old,
    num_replicas: c.replicas,
    duplicate_window: nanos(c.duplicateWindowMs),
    max_msg_size: c.maxMessageBytes,
  };
  return [
    // History is kept (limits retention) so that any shard can be rebuilt by replay.
    {
      ...common,
      name: STREAM.uploads,
      subjects: ['akosha.uploads.>'],
      retention: RetentionPolicy.Limits,
      max_age: nanos(c.uploadsMaxAgeMs),
    },
    // Hand-off between the embed stage and the shard writers; replay rebuilds it from uploads.
    {
      ...common,
      name: STREAM.embedded,
      subjects: ['akosha.embedded.>'],
      retention: RetentionPolicy.Workqueue,
      max_age: nanos(7 * DAY_MS),
    },
    {
      ...common,
      name: STREAM.ingested,
      subjects: ['akosha.ingested.>'],
      retention: RetentionPolicy.Limits,
      max_age: nanos(7 * DAY_MS),
    },
    {
      ...common,
      name: STREAM.deadLetters,
      subjects: ['akosha.dlq.>'],
      retention: RetentionPolicy.Limits,
      max_age: nanos(90 * DAY_MS),
    },
    // Who did what: kept for AKOSHA_AUDIT_MAX_AGE_DAYS, read by `akosha audit list`.
    {
      ...common,
      name: STREAM.audit,
      subjects: ['akosha.audit.>'],
      retention: RetentionPolicy.Limits,
      max_age: nanos(c.auditMaxAgeMs),
    },
  ];
}

/**
 * Backoff between retries is applied by the consumers with nak(delay), not by the
 * server's `backoff` list: on 2.9 that list also replaces ack_wait for in-flight
 * messages, which would redeliver a long batch before it is done.
 * The server never gives up on a message (max_deliver -1): one it gave up on stays in a
 * work queue delivered to no one, with an advisory that can be missed. The stages count
 * deliveries themselves and dead-letter past AKOSHA_MAX_DELIVER (consumers/settle.ts).
 */
export function consumerDefinitions(c: StreamsConfig): ConsumerDefinition[] {
  const pull = {
    ack_policy: AckPolicy.Explicit,
    deliver_policy: DeliverPolicy.All,
    ack_wait: nanos(c.ackWaitMs),
    max_deliver: -1,
    max_ack_pending: 8192,
  };
  const writers = Array.from({ length: c.shardGroups }, (_, g) => ({
    ...pull,
    stream: STREAM.embedded,
    durable_name: writerConsumerName(g),
    filter_subject: `akosha.embedded.${g}.>`,
  }));
  return [
    {
      ...pull,
      stream: STREAM.uploads,
      durable_name: INGEST_CONSUMER,
      filter_subject: 'akosha.uploads.>',
    },
    ...writers,
  ];
}
