import { jetstream, jetstreamManager } from '@nats-io/jetstream';
import type { NatsConnection } from '@nats-io/transport-node';
import { STREAM } from '../streams/definitions';
import { streamsStatus, type StreamStatus } from '../streams/status';

export interface Quiet {
  quiet: boolean;
  /** consumers with work left when the wait ended */
  busy: { name: string; num_pending: number; num_ack_pending: number }[];
  /** hand-off chunks left in the work queue after every consumer went quiet: stranded */
  embeddedLeft: number;
  waitedMs: number;
}

const sleep = (ms: number) => new Promise((r) => setTimeout(r, ms));

function busyConsumers(status: StreamStatus[]): Quiet['busy'] {
  return status.flatMap((s) =>
    s.exists
      ? s.consumers
          .filter((c) => c.num_pending > 0 || c.num_ack_pending > 0)
          .map(({ name, num_pending, num_ack_pending }) => ({ name, num_pending, num_ack_pending }))
      : [],
  );
}

/**
 * Waits until no durable consumer has anything pending or awaiting ack, three polls in a
 * row (a nak'd message counts as awaiting ack until it is redelivered). Gives up after
 * timeoutMs and reports what was still busy.
 */
export async function waitQuiet(nc: NatsConnection, timeoutMs: number): Promise<Quiet> {
  const jsm = await jetstreamManager(nc);
  const t0 = Date.now();
  let calm = 0;
  let status: StreamStatus[] = [];
  while (Date.now() - t0 < timeoutMs) {
    status = await streamsStatus(jsm).catch(() => []);
    calm = status.length > 0 && busyConsumers(status).length === 0 ? calm + 1 : 0;
    if (calm >= 3) break;
    await sleep(1000);
  }
  const embedded = status.find((s) => s.name === STREAM.embedded);
  return {
    quiet: calm >= 3,
    busy: busyConsumers(status),
    embeddedLeft: embedded?.exists ? embedded.messages : 0,
    waitedMs: Date.now() - t0,
  };
}

/** Every message of a stream, read with an ordered consumer from its first sequence to its last. */
export async function readStream<T>(
  nc: NatsConnection,
  stream: string,
): Promise<{ seq: number; subject: string; data: T }[]> {
  const jsm = await jetstreamManager(nc);
  const { state } = await jsm.streams.info(stream);
  if (state.messages === 0) return [];
  const consumer = await jetstream(nc).consumers.get(stream);
  const out: { seq: number; subject: string; data: T }[] = [];
  const messages = await consumer.consume();
  for await (const m of messages) {
    out.push({ seq: m.seq, subject: m.subject, data: m.json<T>() });
    if (m.seq >= state.last_seq) break;
  }
  await messages.close();
  return out;
}

/** Collects JetStream's MAX_DELIVERIES advisories for the whole run (the subscription survives reconnects). */
export function watchMaxDeliveries(nc: NatsConnection): { stream: string; stream_seq: number }[] {
  const heard: { stream: string; stream_seq: number }[] = [];
  nc.subscribe('$JS.EVENT.ADVISORY.CONSUMER.MAX_DELIVERIES.>', {
    callback: (_err, msg) => {
      const a = msg.json<{ stream: string; stream_seq: number }>();
      heard.push({ stream: a.stream, stream_seq: a.stream_seq });
    },
  });
  return heard;
}
