import { jetstreamManager } from '@nats-io/jetstream';
import { createInbox, nanos } from '@nats-io/transport-node';
import { DeadLetterPublisher } from '../../consumers/dead-letters';
import { sweepStranded } from '../../consumers/stranded';
import { AkoshaError } from '../../infra/errors';
import { loadConfig } from '../../infra/config';
import { createMetrics } from '../../infra/metrics';
import type { DeadLetter } from '../../schemas/dead-letter';
import { applyTopology } from '../../streams/apply';
import { STREAM, writerConsumerName } from '../../streams/definitions';
import { subjects } from '../../streams/subjects';
import { startTestNatsWithStreams, type TestNats } from '../helpers/nats';
import { readStream, streamMessageCount } from '../helpers/streams';
import { waitFor } from '../helpers/wait-for';

const GROUP = 1;
const CONSUMER = writerConsumerName(GROUP);

describe('work-queue messages a consumer gave up on', () => {
  let nats: TestNats;
  beforeAll(async () => {
    nats = await startTestNatsWithStreams();
  });
  afterAll(() => nats.stop());

  /** One pull of up to 10 messages, left unacknowledged. */
  async function pullAndDrop(): Promise<number> {
    let got = 0;
    const inbox = createInbox();
    const sub = nats.nc.subscribe(inbox, { callback: (_e, m) => void (m.reply && got++) });
    const body = JSON.stringify({ batch: 10, expires: nanos(800) });
    nats.nc.publish(`$JS.API.CONSUMER.MSG.NEXT.${STREAM.embedded}.${CONSUMER}`, body, {
      reply: inbox,
    });
    await new Promise((r) => setTimeout(r, 1000));
    sub.unsubscribe();
    return got;
  }

  it('the server never gives up: consumers are applied with max_deliver -1', async () => {
    const jsm = await jetstreamManager(nats.nc);
    expect((await jsm.consumers.info(STREAM.embedded, CONSUMER)).config.max_deliver).toBe(-1);
  });

  it('dead-letters and removes what an older max_deliver stranded', async () => {
    const jsm = await jetstreamManager(nats.nc);
    // the configuration of an older release: the server gives up after two deliveries
    await jsm.consumers.update(STREAM.embedded, CONSUMER, {
      max_deliver: 2,
      ack_wait: nanos(500),
    });
    const { seq } = await nats.js.publish(subjects.embedded(GROUP, 16), '{"chunk": "stranded"}');
    await waitFor(pullAndDrop, { until: (n) => n === 0, timeoutMs: 20_000, what: 'gave up' });
    expect(await streamMessageCount(nats.nc, STREAM.embedded)).toBe(1);

    const deadLetters = new DeadLetterPublisher(nats.js, createMetrics());
    const target = {
      stream: STREAM.embedded,
      consumer: CONSUMER,
      filter: subjects.embeddedGroup(GROUP),
    };
    const found = await sweepStranded(jsm, target, (msg) =>
      deadLetters.publish('write', msg, new AkoshaError('RETRIES_EXHAUSTED', 'stranded')),
    );

    expect(found).toBe(1);
    expect(await streamMessageCount(nats.nc, STREAM.embedded)).toBe(0);
    const letters = await readStream<DeadLetter>(nats.nc, nats.js, STREAM.deadLetters);
    expect(letters.map((l) => l.data)).toEqual([
      expect.objectContaining({
        code: 'RETRIES_EXHAUSTED',
        stream: STREAM.embedded,
        stream_seq: seq,
      }),
    ]);
    expect(await sweepStranded(jsm, target, () => Promise.resolve())).toBe(0);

    await applyTopology(nats.nc, loadConfig({}).streams);
    expect((await jsm.consumers.info(STREAM.embedded, CONSUMER)).config.max_deliver).toBe(-1);
  });
});
