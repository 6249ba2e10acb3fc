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
import type { StreamsConfig } from '../infra';
import { subjects } from './subjects';

export type StreamDefinition = Partial<StreamConfig> & { name: string; subjects: string[] };
export type ConsumerDefinition = Partial<ConsumerConfig> & { durable_name: string; stream: string };

export const STREAM = {
  uploads: 'AKOSHA_UPLOADS',
  embedded: 'AKOSHA_EMBEDDED',
  ingested: 'AKOSHA_INGESTED',
  deadLetters: 'AKOSHA_DLQ',
  audit: 'AKOSHA_AUDIT',
  graph: 'AKOSHA_GRAPH',
  cloud: 'AKOSHA_CLOUD',
} as const;

export const INGEST_CONSUMER = 'ingest';
/** the knowledge-graph writer (storage/graph) */
export const GRAPH_CONSUMER = 'graph';
/** the cloud importer: one Session-Buddy upload found in the bucket per message (cloud/) */
export const CLOUD_CONSUMER = 'cloud';
export const writerConsumerName = (group: number) => `writer-g${String(group).padStart(3, '0')}`;

const DAY_MS = 86_400_000;

/**
 * Streams as data: `applyTopology` creates or updates exactly these.
 * Each stream has its own max_bytes, so that one flooding producer fills its own stream,
 * never the server (the DLQ and the audit trail keep their room). A full stream refuses
 * publishes (DiscardNew): DiscardOld would silently drop the oldest messages, acknowledged
 * and maybe not yet consumed. Each stream's comment says who sees the refusal.
 */
export function streamDefinitions(c: StreamsConfig): StreamDefinition[] {
  const common = {
    storage: StorageType.File,
    discard: DiscardPolicy.New,
    num_replicas: c.replicas,
    duplicate_window: nanos(c.duplicateWindowMs),
    max_msg_size: c.maxMessageBytes,
  };
  /** limits retention: messages stay until max age or max bytes, read by any number of readers */
  const kept = (name: string, subject: string, maxAgeMs: number, maxBytes: number) => ({
    ...common,
    name,
    subjects: [subject],
    retention: RetentionPolicy.Limits,
    max_age: nanos(maxAgeMs),
    max_bytes: maxBytes,
  });
  /** work-queue retention: a message is gone once its one consumer acknowledged it */
  const queued = (name: string, subject: string, maxBytes: number) => ({
    ...kept(name, subject, 7 * DAY_MS, maxBytes),
    retention: RetentionPolicy.Workqueue,
  });
  return [
    // History is kept so that any shard can be rebuilt by replay.
    // Full: producers get an error and retry; an oldest upload not yet ingested stays.
    kept(STREAM.uploads, subjects.uploadsAll, c.uploadsMaxAgeMs, c.maxBytes.uploads),
    // Hand-off between the embed stage and the shard writers; replay rebuilds it from uploads.
    // Full (writers behind): the embed stage's hand-off waits and retries, as for a full store.
    queued(STREAM.embedded, subjects.embeddedAll, c.maxBytes.embedded),
    // Full: the announcement stays in the writer's outbox and is retried by its sweep;
    // an event downstream readers have not read yet is not dropped for it.
    kept(STREAM.ingested, subjects.ingestedAll, 7 * DAY_MS, c.maxBytes.ingested),
    // Full: the failed message is nak'ed, not termed, and retried until a letter fits
    // (consumers/settle.ts); the letters already kept are the only copy of some messages.
    kept(STREAM.deadLetters, subjects.deadLetterAll, 90 * DAY_MS, c.maxBytes.deadLetters),
    // Who did what: kept for AKOSHA_AUDIT_MAX_AGE_DAYS, read by `akosha audit list`.
    // Full: new events are refused (the sink counts them dropped); a flood cannot age
    // out the record of what happened before it.
    kept(STREAM.audit, subjects.auditAll, c.auditMaxAgeMs, c.maxBytes.audit),
    // Entities, relations and mentions; history is kept like the uploads' so that replay
    // rebuilds the graph. Full: producers get an error and retry.
    kept(STREAM.graph, subjects.graphAll, c.uploadsMaxAgeMs, c.maxBytes.graph),
    // Uploads found in the Session-Buddy bucket, waiting to be imported (small messages: the
    // object keys). Full: the watcher finds them again at its next poll.
    queued(STREAM.cloud, subjects.cloudUploadsAll, c.maxBytes.cloud),
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
    filter_subject: subjects.embeddedGroup(g),
  }));
  return [
    {
      ...pull,
      stream: STREAM.uploads,
      durable_name: INGEST_CONSUMER,
      filter_subject: subjects.uploadsAll,
    },
    ...writers,
    {
      ...pull,
      stream: STREAM.graph,
      durable_name: GRAPH_CONSUMER,
      filter_subject: subjects.graphAll,
    },
    // an import can take minutes; the importer keeps it alive with working()
    {
      ...pull,
      stream: STREAM.cloud,
      durable_name: CLOUD_CONSUMER,
      filter_subject: subjects.cloudUploadsAll,
    },
  ];
}
