import type { PulledMsg } from '../../consumers/pulled-message';

export type Settlement = 'ack' | 'nak' | 'term';

/**
 * A delivered JetStream message as the stages see it (PulledMsg, which nats.js's JsMsg
 * also fits), remembering how it was settled. Like the server, only the first
 * settlement counts; `working()` only counts heartbeats.
 */
export class FakeMsg implements PulledMsg {
  readonly data: Uint8Array;
  readonly info: PulledMsg['info'];
  settlement: Settlement | undefined;
  nakDelayMs: number | undefined;
  workingCalls = 0;

  constructor(
    readonly subject: string,
    data: string | Uint8Array,
    readonly seq = 1,
    at: { deliveryCount?: number; stream?: string; consumer?: string } = {},
  ) {
    this.data = typeof data === 'string' ? Buffer.from(data) : data;
    this.info = {
      stream: at.stream ?? 'AKOSHA_TEST',
      consumer: at.consumer ?? 'test',
      deliveryCount: at.deliveryCount ?? 1,
      pending: 0,
    };
  }

  /** The same message delivered again (its delivery count one higher), unsettled. */
  redelivered(): FakeMsg {
    const { stream, consumer, deliveryCount } = this.info;
    return new FakeMsg(this.subject, this.data, this.seq, {
      stream,
      consumer,
      deliveryCount: deliveryCount + 1,
    });
  }

  ack(): void {
    this.settle('ack');
  }

  nak(delayMs?: number): void {
    if (this.settle('nak')) this.nakDelayMs = delayMs;
  }

  term(): void {
    this.settle('term');
  }

  working(): void {
    this.workingCalls++;
  }

  private settle(how: Settlement): boolean {
    if (this.settlement) return false;
    this.settlement = how;
    return true;
  }
}

/** A JSON message on `subject`. */
export const jsonMsg = (subject: string, body: unknown, seq = 1, deliveryCount = 1) =>
  new FakeMsg(subject, JSON.stringify(body), seq, { deliveryCount });
