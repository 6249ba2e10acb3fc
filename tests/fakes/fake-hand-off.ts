import type { HandOffPort } from '../../consumers/hand-off';

export interface HandedOff {
  subject: string;
  data: string;
  msgID: string;
}

/**
 * The hand-off to the next stage's stream, in memory. Like JetStream's dedupe window, a
 * second publish with a message id it holds is acknowledged as a duplicate and not
 * stored again. `failNext(err)` makes the next publishes reject (an outage, or an error
 * the real hand-off gave up retrying).
 */
export class FakeHandOff implements HandOffPort {
  readonly stored: HandedOff[] = [];
  closed = false;
  private readonly failures: Error[] = [];

  failNext(...errors: Error[]): void {
    this.failures.push(...errors);
  }

  async publish(subject: string, data: string, msgID: string) {
    const failure = this.failures.shift();
    if (failure) throw failure;
    const duplicate = this.stored.some((m) => m.msgID === msgID);
    if (!duplicate) this.stored.push({ subject, data, msgID });
    return { stream: 'FAKE', seq: this.stored.length, duplicate };
  }

  close(): void {
    this.closed = true;
  }

  /** The bodies handed off, parsed. */
  bodies<T = unknown>(): T[] {
    return this.stored.map((m) => JSON.parse(m.data) as T);
  }
}
