import type { PulledMsg } from '../../consumers/pulled-message';
import { ALONE_FROM_DELIVERY, takeBatch } from '../../consumers/take-batch';

const msg = (seq: number, bytes: number, deliveryCount = 1): PulledMsg => ({
  subject: 's',
  data: new Uint8Array(bytes),
  seq,
  info: { stream: 'S', consumer: 'c', deliveryCount, pending: 0 },
  ack: () => undefined,
  nak: () => undefined,
  term: () => undefined,
  working: () => undefined,
});

describe('takeBatch', () => {
  it('stops at the byte bound, but always takes one message', () => {
    const queue = [msg(1, 400), msg(2, 400), msg(3, 400), msg(4, 2000)];
    const limits = { batchSize: 100, maxBatchBytes: 1000 };
    expect(takeBatch(queue, limits).map((m) => m.seq)).toEqual([1, 2]);
    expect(takeBatch(queue, limits).map((m) => m.seq)).toEqual([3]);
    expect(takeBatch(queue, limits).map((m) => m.seq)).toEqual([4]); // larger than the bound: alone
    expect(queue).toEqual([]);
  });

  it('stops at the count bound', () => {
    const queue = [1, 2, 3, 4, 5].map((s) => msg(s, 10));
    expect(takeBatch(queue, { batchSize: 3, maxBatchBytes: 1e6 }).map((m) => m.seq)).toEqual([
      1, 2, 3,
    ]);
  });

  it('hands a message delivered twice before alone, and keeps it out of other batches', () => {
    const suspect = ALONE_FROM_DELIVERY;
    const queue = [msg(1, 10), msg(2, 10, suspect), msg(3, 10, 2), msg(4, 10, suspect)];
    const limits = { batchSize: 10, maxBatchBytes: 1e6 };
    expect(takeBatch(queue, limits).map((m) => m.seq)).toEqual([1, 3]);
    expect(takeBatch(queue, limits).map((m) => m.seq)).toEqual([2]);
    expect(takeBatch(queue, limits).map((m) => m.seq)).toEqual([4]);
  });
});
