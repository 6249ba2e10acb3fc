import type { JetStreamManager, MsgRequest, StoredMsg } from '@nats-io/jetstream';
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

/**
 * Finds work-queue messages the consumer will not deliver again: ones an older
 * configuration's max_deliver gave up on, and ones a killed nats-server kept although
 * they were acked. They stay in the stream, delivered to no one (num_pending 0, nothing
 * awaiting ack, yet messages on its filter at or below its delivered sequence). Each is
 * handed to `handle` as if delivered (the writer's idempotent path stores it or finds it
 * stored); what the handler acks or terminates is removed, the rest is left for the next
 * sweep. Checked only while the consumer is idle, when that reading is exact; returns how
 * many it found.
 */
export async function sweepStranded(
  jsm: JetStreamManager,
  target: { stream: string; consumer: string; filter: string },
  handle: (batch: PulledMsg[]) => Promise<void>,
): Promise<number> {
  const info = await jsm.consumers.info(target.stream, target.consumer);
  if (info.num_pending > 0 || info.num_ack_pending > 0) return 0;
  const lastDelivered = info.delivered.stream_seq;
  const deliveries = Math.max(info.config.max_deliver ?? 1, 1);
  let found = 0;
  for (let seq = 1; seq <= lastDelivered; found++) {
    const request = { seq, next_by_subj: target.filter } as unknown as MsgRequest;
    const stored = await jsm.streams.getMessage(target.stream, request).catch(() => null);
    if (!stored || stored.seq > lastDelivered) break;
    let settled: Settled | undefined;
    const at = { ...target, seq: stored.seq, deliveries };
    await handle([storedAsPulled(stored, at, (how) => (settled = how))]);
    if (settled === 'ack' || settled === 'term')
      await jsm.streams.deleteMessage(target.stream, stored.seq, false);
    seq = stored.seq + 1;
  }
  return found;
}
