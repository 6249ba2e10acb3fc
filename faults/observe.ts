import { jetstream, jetstreamManager } from '@nats-io/jetstream';
import type { NatsConnection } from '@nats-io/transport-node';
import { STREAM, writerConsumerName } from '../streams/definitions';
import { streamsStatus, type StreamStatus } from '../streams/status';

export interface Quiet {
  quiet: boolean;
  /** consumers with work left when the wait ended */
  busy: { name: string; num_pending: number; num_ack_pending: number }[];
  /** hand-off chunks left in the work queue that their writer consumer never acked: stranded */
  embeddedLeft: number;
  /** the first of those, each with its consumer's delivered and ack-floor sequences */
  embeddedLeftSample: { seq: number; consumer: string; delivered: number; ackFloor: number }[];
  /** chunks below their consumer's ack floor that the work queue still holds (not removed on ack) */
  embeddedAckedLeft: number;
  /**
   * writer consumers that count a message awaiting their ack while the work queue holds no
   * unacked chunk of their group: a killed nats-server restored a pending entry for a chunk
   * that its ack had already removed. Nothing is left to deliver; they are not busy.
   */
  phantomAckPending: string[];
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
 * Waits until no durable consumer has anything pending or awaiting ack and the work queue
 * holds no chunk above its writer's ack floor (the writers' stranded sweep takes those),
 * three polls in a row (a nak'd message counts as awaiting ack until it is redelivered).
 * Gives up after timeoutMs and reports what was still busy or left.
 */
export async function waitQuiet(nc: NatsConnection, timeoutMs: number): Promise<Quiet> {
  const jsm = await jetstreamManager(nc);
  const t0 = Date.now();
  let calm = 0;
  let status: StreamStatus[] = [];
  let work = { busy: [] as Quiet['busy'], phantom: [] as string[] };
  const leftNow = () => {
    const embedded = status.find((s) => s.name === STREAM.embedded);
    return embedded?.exists ? leftInWorkQueue(nc, embedded) : nothingLeft();
  };
  while (Date.now() - t0 < timeoutMs) {
    status = await streamsStatus(jsm).catch(() => []);
    work = await workLeft(nc, status);
    const idle = status.length > 0 && work.busy.length === 0;
    calm = idle && (await leftNow()).unacked === 0 ? calm + 1 : 0;
    if (calm >= 3) break;
    await sleep(1000);
  }
  const left = await leftNow();
  return {
    quiet: calm >= 3,
    busy: work.busy,
    embeddedLeft: left.unacked,
    embeddedLeftSample: left.sample,
    embeddedAckedLeft: left.acked,
    phantomAckPending: work.phantom,
    waitedMs: Date.now() - t0,
  };
}

/** What a work queue holds, counted by leftInWorkQueue: nothing yet. */
const nothingLeft = () => ({
  acked: 0,
  unacked: 0,
  unackedBy: new Set<string>(),
  sample: [] as Quiet['embeddedLeftSample'],
});
const SAMPLE_SIZE = 5;

/** The busy consumers, less writer consumers whose only work is a phantom pending entry. */
async function workLeft(nc: NatsConnection, status: StreamStatus[]) {
  const busy = busyConsumers(status);
  const embedded = status.find((s) => s.name === STREAM.embedded);
  if (!embedded?.exists) return { busy, phantom: [] };
  // the work queue's consumers are the writers'
  const idleWriters = embedded.consumers.filter(
    (c) => c.num_pending === 0 && c.num_ack_pending > 0,
  );
  if (idleWriters.length === 0) return { busy, phantom: [] };
  const { unackedBy } = await leftInWorkQueue(nc, embedded);
  const phantom = idleWriters.filter((c) => !unackedBy.has(c.name)).map((c) => c.name);
  return { busy: busy.filter((c) => !phantom.includes(c.name)), phantom };
}

const MAX_PROBES = 100_000;

/**
 * Splits the messages a work queue still holds into those its consumer acked (at or below
 * the ack floor of `writer-gNNN` for the message's group: the removal was lost, e.g. with
 * a killed nats-server) and those no consumer acked: stranded work.
 */
async function leftInWorkQueue(
  nc: NatsConnection,
  stream: Extract<StreamStatus, { exists: true }>,
): Promise<ReturnType<typeof nothingLeft>> {
  const jsm = await jetstreamManager(nc);
  const consumers = new Map(stream.consumers.map((c) => [c.name, c]));
  const left = nothingLeft();
  const last = Math.min(stream.last_seq, stream.first_seq + MAX_PROBES);
  for (
    let seq = stream.first_seq;
    seq <= last && left.acked + left.unacked < stream.messages;
    seq++
  ) {
    const m = await jsm.streams.getMessage(stream.name, { seq }).catch(() => null);
    if (!m) continue;
    const consumer = writerConsumerName(Number(m.subject.split('.')[2]));
    const { ack_floor_stream_seq: ackFloor = 0, delivered_stream_seq: delivered = 0 } =
      consumers.get(consumer) ?? {};
    const acked = seq <= ackFloor;
    left[acked ? 'acked' : 'unacked']++;
    if (acked) continue;
    left.unackedBy.add(consumer);
    if (left.sample.length < SAMPLE_SIZE) left.sample.push({ seq, consumer, delivered, ackFloor });
  }
  return left;
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
