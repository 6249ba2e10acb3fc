import { AckPolicy, jetstreamManager } from '@nats-io/jetstream';
import { nanos } from '@nats-io/transport-node';
import { AdvisoryWatcher } from '../../consumers/advisories';
import { DeadLetterPublisher } from '../../consumers/dead-letters';
import { loadConfig } from '../../infra/config';
import { createLogger } from '../../infra/logger';
import { createMetrics } from '../../infra/metrics';
import type { DeadLetter } from '../../schemas/dead-letter';
import { applyTopology } from '../../streams/apply';
import { STREAM } from '../../streams/definitions';
import { startTestNats, type TestNats } from '../helpers/nats';
import { readStream } from '../helpers/streams';
import { waitFor } from '../helpers/wait-for';

const TEST_STREAM = 'ADV_TEST';

describe('AdvisoryWatcher', () => {
  let nats: TestNats;
  let watcher: AdvisoryWatcher;

  beforeAll(async () => {
    nats = await startTestNats();
    await applyTopology(nats.nc, loadConfig({}).streams);
    const jsm = await jetstreamManager(nats.nc);
    await jsm.streams.add({ name: TEST_STREAM, subjects: ['adv.>'] });
    await jsm.consumers.add(TEST_STREAM, {
      durable_name: 'worker',
      ack_policy: AckPolicy.Explicit,
      ack_wait: nanos(1000),
      max_deliver: 2,
    });
    watcher = new AdvisoryWatcher({
      nc: nats.nc,
      deadLetters: new DeadLetterPublisher(nats.js, createMetrics()),
      log: createLogger('silent'),
      streams: [TEST_STREAM],
    });
    await watcher.start();
  });
  afterAll(async () => {
    await watcher.stop();
    await nats.stop();
  });

  const letters = () => readStream<DeadLetter>(nats.nc, nats.js, STREAM.deadLetters);

  it('dead-letters a message that reached max_deliver unsettled, once, and counts terminations', async () => {
    const { seq } = await nats.js.publish('adv.work', 'never acknowledged');
    await nats.js.publish('adv.work', 'terminated');
    const consumer = await nats.js.consumers.get(TEST_STREAM, 'worker');
    const messages = await consumer.consume({ max_messages: 10 });
    void (async () => {
      for await (const m of messages) if (m.string() === 'terminated') m.term(); // the other: silence
    })();

    const [letter] = await waitFor(letters, { until: (l) => l.length === 1, what: 'letter' });
    expect(letter!.data).toMatchObject({
      code: 'RETRIES_EXHAUSTED',
      stream: TEST_STREAM,
      stream_seq: seq,
      subject: 'adv.work',
      delivery_count: 2,
      payload_kind: 'message',
      payload_base64: Buffer.from('never acknowledged').toString('base64'),
    });
    await waitFor(() => watcher.counts.terminated, { until: (n) => n === 1 });

    // the same advisory again (a second watcher, a replayed event): no second letter
    const advisory = { stream: TEST_STREAM, consumer: 'worker', stream_seq: seq, deliveries: 2 };
    nats.nc.publish(
      `$JS.EVENT.ADVISORY.CONSUMER.MAX_DELIVERIES.${TEST_STREAM}.worker`,
      JSON.stringify(advisory),
    );
    await waitFor(() => watcher.counts.deadLettered, { until: (n) => n === 2 });
    expect(await letters()).toHaveLength(1);
    await messages.close();
  });
});
