import type { ConsumerInfo, JetStreamManager, MsgRequest, StoredMsg } from '@nats-io/jetstream';
import { subjectMatches } from '../streams';
import type { PulledMsg } from './pulled-message';

export type Settled = 'ack' | 'nak' | 'term';

/** A stored message as a stage would see it on a delivery; settling it calls `onSettle`, if any. */
export function storedAsPulled(
  stored: Pick<StoredMsg, 'subject' | 'data'> | null | undefined,
  at: { stream: string; consumer: string; seq: number; deliveries: number },
  onSettle: (how: Settled) => void = () => undefined,
): PulledMsg {
  return {
    subject: stored?.subject ?? '',
    data: stored?.data ?? new Uint8Array(),
    seq: at.seq,
    info: { stream: at.stream, consumer: at.consumer, deliveryCount: at.deliveries, pending: 0 },
    ack: () => onSettle('ack'),
    nak: () => onSettle('nak'),
    term: () => onSettle('term'),
    working: () => undefined,
  };
}

export interface StrandedSweepTarget {
  stream: string;
  consumer: string;
  filter: string;
  /** the stream sequences this process holds from a delivery (being handled): never taken */
  isHeld: (seq: number) => boolean;
}

export interface StrandedSweep {
  /** messages handed to the handler */
  found: number;
  /** what the scan saw and left: the next pass takes those still there */
  seen: Set<number>;
  /** the consumer's ack floor when the pass began */
  ackFloor: number;
}

/** Above the ack floor, at most this many sequences are looked up one by one per pass. */
const EXACT_SCAN_MAX = 10_000;

/**
 * Finds work-queue messages the consumer will not deliver again: ones an older
 * configuration's max_deliver gave up on, and ones a killed nats-server kept although
 * they were acked, possibly beside restored pending entries for messages already gone (so
 * the consumer never looks idle). They stay in the stream, delivered to no one.
 *
 * Two lookups find them. By subject, up to the consumer's delivered sequence, or up to the
 * stream's last sequence (read first) when nothing is pending, since a restored
 * consumer's delivered sequence can lag behind such messages. And, when nothing is
 * pending, one by one just above the ack floor (at most EXACT_SCAN_MAX): a killed
 * nats-server 2.9 can restore per-subject state that hides messages from lookups by
 * subject, and from its consumer, while a lookup by sequence finds them.
 *
 * It looks while the consumer is idle (nothing pending, nothing awaiting ack: that reading
 * is exact, and all found are taken), or when its ack floor has not moved since the
 * previous pass although messages await its ack: a floor held by a restored pending
 * entry, or a delivery held for a whole pass. Then a message is taken only when the
 * previous pass saw it too and this process does not hold it: a live delivery settles
 * within a pass, and a handler's backoff only waits for a retry the sweep then makes.
 * While deliveries flow it does not look, since each lookup returns a whole chunk. Each
 * taken message is handed to `handle` as if delivered; the writer's path is idempotent (a
 * chunk already stored is recognised under the shard's lock), so a race costs a second
 * look, never a second copy. What the handler acks or terminates is removed, the rest is
 * left for the next sweep.
 */
export async function sweepStranded(
  jsm: JetStreamManager,
  target: StrandedSweepTarget,
  handle: (batch: PulledMsg[]) => Promise<void>,
  previous?: StrandedSweep,
): Promise<StrandedSweep> {
  const { state } = await jsm.streams.info(target.stream);
  const info = await jsm.consumers.info(target.stream, target.consumer);
  const sweep: StrandedSweep = { found: 0, seen: new Set(), ackFloor: info.ack_floor.stream_seq };
  const idle = info.num_pending === 0 && info.num_ack_pending === 0;
  const stuck = info.num_ack_pending > 0 && previous?.ackFloor === sweep.ackFloor;
  if (!idle && !stuck) return sweep;
  const taken = (seq: number) => !target.isHeld(seq) && (idle || !!previous?.seen.has(seq));
  for (const stored of await strandedCandidates(jsm, target, info, state.last_seq)) {
    if (!taken(stored.seq)) {
      sweep.seen.add(stored.seq);
      continue;
    }
    const settled = await handOver(stored, target, info.config.max_deliver, handle);
    sweep.found++;
    if (settled === 'ack' || settled === 'term')
      await jsm.streams.deleteMessage(target.stream, stored.seq, false).catch(() => false);
    else sweep.seen.add(stored.seq);
  }
  return sweep;
}

/** The messages on the target's filter that either lookup finds, in stream order. */
async function strandedCandidates(
  jsm: JetStreamManager,
  target: StrandedSweepTarget,
  info: ConsumerInfo,
  lastSeq: number,
): Promise<StoredMsg[]> {
  const delivered = info.delivered.stream_seq;
  const bound = info.num_pending === 0 ? Math.max(delivered, lastSeq) : delivered;
  const found = new Map<number, StoredMsg>();
  for (let seq = 1; seq <= bound;) {
    const request = { seq, next_by_subj: target.filter } as unknown as MsgRequest;
    const stored = await jsm.streams.getMessage(target.stream, request).catch(() => null);
    if (!stored || stored.seq > bound) break;
    found.set(stored.seq, stored);
    seq = stored.seq + 1;
  }
  if (info.num_pending === 0) {
    const floor = info.ack_floor.stream_seq;
    for (let seq = floor + 1; seq <= Math.min(delivered, floor + EXACT_SCAN_MAX); seq++) {
      if (found.has(seq)) continue;
      const stored = await jsm.streams.getMessage(target.stream, { seq }).catch(() => null);
      if (stored && subjectMatches(target.filter, stored.subject)) found.set(seq, stored);
    }
  }
  return [...found.values()].sort((a, b) => a.seq - b.seq);
}

/** Hands one stored message to the handler as a delivery; how the handler settled it. */
async function handOver(
  stored: StoredMsg,
  target: StrandedSweepTarget,
  maxDeliver: number | undefined,
  handle: (batch: PulledMsg[]) => Promise<void>,
): Promise<Settled | undefined> {
  let settled: Settled | undefined;
  const at = { ...target, seq: stored.seq, deliveries: Math.max(maxDeliver ?? 1, 1) };
  await handle([storedAsPulled(stored, at, (how) => (settled = how))]);
  return settled;
}
