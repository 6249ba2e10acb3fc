import { AckPolicy, jetstreamManager } from '@nats-io/jetstream';
import { nanos } from '@nats-io/transport-node';
import { BatchLoop, type BatchLoopOptions } from '../../consumers/batch-loop';
import { DeadLetterPublisher } from '../../consumers/dead-letters';
import type { PulledMsg } from '../../consumers/pulled-message';
import { screenExhausted } from '../../consumers/settle';
import { loadConfig } from '../../infra/config';
import { createLogger } from '../../infra/logger';
import { createMetrics } from '../../infra/metrics';
import type { DeadLetter } from '../../schemas/dead-letter';
import { applyTopology } from '../../streams/apply';
import { STREAM } from '../../streams/definitions';
import { startTestNats, type TestNats } from '../helpers/nats';
import { readStream } from '../helpers/streams';
import { waitFor } from '../helpers/wait-for';

const log = createLogger('silent');
const ACK_WAIT_MS = 1000;

describe('BatchLoop', () => {
  let nats: TestNats;
  const loops: BatchLoop[] = [];

  beforeAll(async () => {
    nats = await startTestNats();
    await applyTopology(nats.nc, loadConfig({}).streams);
  });
  afterAll(async () => {
    await Promise.all(loops.map((l) => l.stop()));
    await nats.stop();
  });

  /** A stream and a durable pull consumer of its own, as the pipeline declares them. */
  async function workStream(name: string): Promise<{ subject: string }> {
    const jsm = await jetstreamManager(nats.nc);
    await jsm.streams.add({ name, subjects: [`${name}.>`] });
    await jsm.consumers.add(name, {
      durable_name: 'work',
      ack_policy: AckPolicy.Explicit,
      ack_wait: nanos(ACK_WAIT_MS),
      max_deliver: -1,
    });
    return { subject: `${name}.x` };
  }

  function startLoop(
    stream: string,
    options: Partial<BatchLoopOptions>,
    handle: (batch: PulledMsg[]) => Promise<void>,
  ): void {
    const loop = new BatchLoop(
      nats.nc,
      { stream, consumer: 'work' },
      {
        batchSize: 64,
        maxBatchBytes: 1 << 20,
        batchLingerMs: 20,
        ackWaitMs: ACK_WAIT_MS,
        ...options,
      },
      handle,
      log,
    );
    loops.push(loop);
    void loop.start();
  }

  it('hands over batches no larger than the byte bound', async () => {
    const { subject } = await workStream('BYTES');
    for (let i = 0; i < 12; i++) await nats.js.publish(subject, new Uint8Array(100 * 1024));
    const batchBytes: number[] = [];
    startLoop('BYTES', { maxBatchBytes: 300 * 1024 }, async (batch) => {
      batchBytes.push(batch.reduce((n, m) => n + m.data.byteLength, 0));
      for (const m of batch) m.ack();
    });
    await waitFor(() => batchBytes.length, {
      until: () => batchBytes.reduce((n, b) => n + b, 0) === 12 * 100 * 1024,
      what: 'every message handled',
    });
    expect(Math.max(...batchBytes)).toBeLessThanOrEqual(300 * 1024);
  });

  it('hands a message over at once when nothing more is pending (no linger)', async () => {
    const { subject } = await workStream('ALONE');
    const handled: number[] = [];
    startLoop('ALONE', { batchLingerMs: 5000 }, async (batch) => {
      handled.push(performance.now());
      for (const m of batch) m.ack();
    });
    await waitFor(async () => (await jetstreamManager(nats.nc)).consumers.info('ALONE', 'work'), {
      until: (i) => i.num_waiting > 0,
      what: 'the loop pulling',
    });
    const sent = performance.now();
    await nats.js.publish(subject, 'alone');
    await waitFor(() => handled.length, { until: (n) => n === 1, what: 'the message handled' });
    expect(handled[0]! - sent).toBeLessThan(2500);
  });

  it('keeps a batch slower than ack_wait alive: no message is delivered twice', async () => {
    const { subject } = await workStream('SLOW');
    for (let i = 0; i < 10; i++) await nats.js.publish(subject, `m${i}`);
    const deliveries: number[] = [];
    const handle = async (batch: PulledMsg[]) => {
      for (const m of batch) deliveries.push(m.info.deliveryCount);
      await new Promise((r) => setTimeout(r, 3.5 * ACK_WAIT_MS));
      for (const m of batch) m.ack();
    };
    startLoop('SLOW', {}, handle);
    startLoop('SLOW', {}, handle); // a second worker would receive any redelivery
    await waitFor(async () => (await jetstreamManager(nats.nc)).consumers.info('SLOW', 'work'), {
      until: (i) => i.num_ack_pending === 0 && i.num_pending === 0 && deliveries.length >= 10,
      timeoutMs: 30_000,
      what: 'every message acked',
    });
    expect(deliveries).toEqual(Array(10).fill(1));
  });

  it('after two unsettled deliveries, handles messages one by one: only the poison is dead-lettered', async () => {
    const { subject } = await workStream('POISON');
    const poisonSeq = (await nats.js.publish(subject, 'poison')).seq;
    for (let i = 0; i < 8; i++) await nats.js.publish(subject, `good-${i}`);
    const acked = new Map<number, number>();
    const retry = { maxDeliver: 4, backoffMs: [100] };
    const deadLetters = new DeadLetterPublisher(nats.js, createMetrics());
    startLoop('POISON', { batchLingerMs: 200 }, async (batch) => {
      const live = await screenExhausted(batch, 'write', { deadLetters, retry, log });
      // a batch holding the poison dies with its process: nothing of it is settled
      if (live.some((m) => m.seq === poisonSeq)) return;
      for (const m of live) acked.set(m.seq, m.info.deliveryCount);
      for (const m of live) m.ack();
    });
    const letters = await waitFor(
      () => readStream<DeadLetter>(nats.nc, nats.js, STREAM.deadLetters, 'akosha.dlq.write'),
      {
        until: (l) => l.some((x) => x.data.stream === 'POISON'),
        timeoutMs: 40_000,
        what: 'letter',
      },
    );
    await waitFor(() => acked.size, { until: (n) => n === 8, what: 'every good message acked' });
    expect(letters.filter((l) => l.data.stream === 'POISON').map((l) => l.data)).toEqual([
      expect.objectContaining({ stream_seq: poisonSeq, code: 'RETRIES_EXHAUSTED' }),
    ]);
    expect(Math.max(...acked.values())).toBeLessThanOrEqual(3);
  });
});
