import type { JetStreamManager, MsgRequest, StoredMsg } from '@nats-io/jetstream';
import type { PulledMsg } from './pulled-message';

/** A stored message as a stage would see it on a delivery; settling it does nothing. */
export function storedAsPulled(
  stored: Pick<StoredMsg, 'subject' | 'data'> | null | undefined,
  at: { stream: string; consumer: string; seq: number; deliveries: number },
): PulledMsg {
  const noop = () => undefined;
  return {
    subject: stored?.subject ?? '',
    data: stored?.data ?? new Uint8Array(),
    seq: at.seq,
    info: { stream: at.stream, consumer: at.consumer, deliveryCount: at.deliveries, pending: 0 },
    ack: noop,
    nak: noop,
    term: noop,
    working: noop,
  };
}

/**
 * Finds work-queue messages that a consumer with a finite max_deliver gave up on: they stay
 * in the stream, delivered to no one (num_pending 0, nothing awaiting ack, yet messages on
 * its filter at or below its delivered sequence). Each is handed to `onStranded` (which
 * dead-letters it) and then removed. Checked only while the consumer is idle, when that
 * reading is exact; returns how many it found.
 */
export async function sweepStranded(
  jsm: JetStreamManager,
  target: { stream: string; consumer: string; filter: string },
  onStranded: (msg: PulledMsg) => Promise<void>,
): Promise<number> {
  const info = await jsm.consumers.info(target.stream, target.consumer);
  if (info.num_pending > 0 || info.num_ack_pending > 0) return 0;
  const lastDelivered = info.delivered.stream_seq;
  let found = 0;
  for (let seq = 1; seq <= lastDelivered; found++) {
    const request = { seq, next_by_subj: target.filter } as unknown as MsgRequest;
    const stored = await jsm.streams.getMessage(target.stream, request).catch(() => null);
    if (!stored || stored.seq > lastDelivered) break;
    const deliveries = info.config.max_deliver ?? -1;
    await onStranded(storedAsPulled(stored, { ...target, seq: stored.seq, deliveries }));
    await jsm.streams.deleteMessage(target.stream, stored.seq, false);
    seq = stored.seq + 1;
  }
  return found;
}
