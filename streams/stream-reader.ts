import {
  DeliverPolicy,
  jetstream,
  jetstreamManager,
  type JetStreamManager,
  type OrderedConsumerOptions,
} from '@nats-io/jetstream';
import type { NatsConnection } from '@nats-io/transport-node';

/** One stored message as an operator tool reads it. */
export interface StoredMessage {
  subject: string;
  seq: number;
  data: Uint8Array;
  /** when the stream stored it, ms since epoch */
  storedAtMs: number;
}

/** Where to start reading, and the one filter subject a 2.9 consumer can have. */
export interface ReadRange {
  filter: string;
  fromSeq?: number | undefined;
  since?: Date | undefined;
}

export interface StreamReader {
  /** messages matching the filter from the start point, counted when the reader opened */
  total: number;
  /** the messages in stream order, in batches of at most batchSize, up to `total` */
  batches(batchSize: number): AsyncGenerator<StoredMessage[]>;
}

/**
 * No message for this long while more are due: nats-server 2.9 can leave an
 * ordered consumer silent (seen when only one message is left after deletes at
 * the head and tail); the rest is then read message by message.
 */
const STALL_MS = 3000;

/**
 * Reads a stream with an ordered (ephemeral, unacknowledged) consumer: it takes
 * nothing from any durable consumer, so it can run beside the pipeline. Stops at
 * the last message that matched when it opened; later messages are left alone.
 */
export async function openStreamReader(
  nc: NatsConnection,
  stream: string,
  range: ReadRange,
): Promise<StreamReader> {
  const consumer = await jetstream(nc).consumers.get(stream, consumerOptions(range));
  const total = (await consumer.info()).num_pending;
  const jsm = await jetstreamManager(nc);
  const lastSeq = (await jsm.streams.info(stream)).state.last_seq;
  return {
    total,
    async *batches(batchSize: number) {
      if (total === 0) return;
      const messages = await consumer.consume({ max_messages: Math.max(batchSize, 256) });
      let batch: StoredMessage[] = [];
      let read = 0;
      let lastRead = 0;
      let stalled = false;
      let timer = setTimeout(() => void ((stalled = true), messages.close()), STALL_MS);
      try {
        for await (const m of messages) {
          clearTimeout(timer);
          timer = setTimeout(() => void ((stalled = true), messages.close()), STALL_MS);
          batch.push({
            subject: m.subject,
            seq: m.seq,
            data: m.data,
            storedAtMs: Number(m.timestampNanos / 1_000_000n),
          });
          lastRead = m.seq;
          const last = ++read >= total || m.info.pending === 0;
          if (batch.length >= batchSize || last) {
            yield batch;
            batch = [];
          }
          if (last) return;
        }
      } finally {
        clearTimeout(timer);
        await messages.close();
      }
      if (batch.length) yield batch;
      if (stalled) yield* scanBatches(jsm, stream, range.filter, lastRead + 1, lastSeq, batchSize);
    },
  };
}

/**
 * Reads message by message, by sequence, from `fromSeq` to `toSeq`: slower than a
 * consumer (one request per sequence) but immune to the 2.9 file-store lookups
 * by subject that miss messages after deletes (consumers and next_by_subj alike).
 */
export async function* scanBatches(
  jsm: JetStreamManager,
  stream: string,
  filter: string,
  fromSeq: number,
  toSeq: number,
  batchSize: number,
): AsyncGenerator<StoredMessage[]> {
  let batch: StoredMessage[] = [];
  for (let seq = fromSeq; seq <= toSeq; seq++) {
    const m = await jsm.streams.getMessage(stream, { seq });
    if (!m || !subjectMatches(filter, m.subject)) continue;
    batch.push({ subject: m.subject, seq: m.seq, data: m.data, storedAtMs: m.time.getTime() });
    if (batch.length >= batchSize) {
      yield batch;
      batch = [];
    }
  }
  if (batch.length) yield batch;
}

/** NATS subject matching: `*` is one token, a final `>` one or more. */
export function subjectMatches(filter: string, subject: string): boolean {
  const f = filter.split('.');
  const s = subject.split('.');
  for (let i = 0; i < f.length; i++) {
    if (f[i] === '>') return s.length > i;
    if (i >= s.length || (f[i] !== '*' && f[i] !== s[i])) return false;
  }
  return f.length === s.length;
}

function consumerOptions(range: ReadRange): Partial<OrderedConsumerOptions> {
  // a plain string: nats.js sends it as filter_subject, which 2.9 understands
  const base = { filter_subjects: range.filter };
  if (range.since) {
    return {
      ...base,
      deliver_policy: DeliverPolicy.StartTime,
      opt_start_time: range.since.toISOString(),
    };
  }
  if (range.fromSeq !== undefined) {
    return { ...base, deliver_policy: DeliverPolicy.StartSequence, opt_start_seq: range.fromSeq };
  }
  return { ...base, deliver_policy: DeliverPolicy.All };
}
