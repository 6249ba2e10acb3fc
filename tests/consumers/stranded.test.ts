import { jetstreamManager, type MsgRequest } from '@nats-io/jetstream';
import { createInbox, nanos } from '@nats-io/transport-node';
import type { Pipeline } from '../../app/pipeline';
import type { PulledMsg } from '../../consumers/pulled-message';
import { sweepStranded } from '../../consumers/stranded';
import type { DeadLetter } from '../../schemas/dead-letter';
import type { IngestedEvent } from '../../schemas/ingested';
import { shardOf } from '../../schemas/ids';
import { STREAM, writerConsumerName } from '../../streams/definitions';
import { groupOfShard, subjects } from '../../streams/subjects';
import { startTestNatsWithStreams, type TestNats } from '../helpers/nats';
import { startTestPipeline, testConfig } from '../helpers/pipeline';
import { readStream, streamMessageCount } from '../helpers/streams';
import { waitFor } from '../helpers/wait-for';
import { chunkInput, embeddedRecord } from '../storage/chunk-inputs';

const SYSTEM = 'stranded-host';
const SHARD = shardOf(SYSTEM);
const GROUP = groupOfShard(SHARD, 16);
const CONSUMER = writerConsumerName(GROUP);

/** One pull of up to 10 messages, left unacknowledged; their stream sequences. */
async function pullAndDrop(nats: TestNats, consumer = CONSUMER): Promise<number[]> {
  const got: number[] = [];
  const inbox = createInbox();
  const sub = nats.nc.subscribe(inbox, {
    // $JS.ACK.<stream>.<consumer>.<delivered>.<stream seq>...
    callback: (_e, m) => void (m.reply && got.push(Number(m.reply.split('.')[5]))),
  });
  const body = JSON.stringify({ batch: 10, expires: nanos(800) });
  nats.nc.publish(`$JS.API.CONSUMER.MSG.NEXT.${STREAM.embedded}.${consumer}`, body, {
    reply: inbox,
  });
  await new Promise((r) => setTimeout(r, 1000));
  sub.unsubscribe();
  return got;
}

describe('work-queue messages no delivery will bring', () => {
  let nats: TestNats;
  let pipeline: Pipeline | undefined;
  beforeAll(async () => {
    nats = await startTestNatsWithStreams();
  });
  afterAll(async () => {
    await pipeline?.close();
    await nats.stop();
  });

  it('the server never gives up: consumers are applied with max_deliver -1', async () => {
    const jsm = await jetstreamManager(nats.nc);
    expect((await jsm.consumers.info(STREAM.embedded, CONSUMER)).config.max_deliver).toBe(-1);
  });

  it('the writer stores what an older max_deliver stranded, and dead-letters only the bad', async () => {
    const jsm = await jetstreamManager(nats.nc);
    // the configuration of an older release: the server gives up after two deliveries
    await jsm.consumers.update(STREAM.embedded, CONSUMER, {
      max_deliver: 2,
      ack_wait: nanos(500),
    });
    const good = chunkInput(SYSTEM, 'stranded-upload', [
      embeddedRecord('r1', 'a memory the server gave up on', '2026-11-20T10:00:00Z'),
    ]).message;
    await nats.js.publish(subjects.embedded(GROUP, SHARD), JSON.stringify(good));
    const bad = await nats.js.publish(subjects.embedded(GROUP, SHARD), '{"chunk": "garbled"}');
    await waitFor(() => pullAndDrop(nats), {
      until: (got) => got.length === 0,
      timeoutMs: 20_000,
      what: 'gave up',
    });
    expect(await streamMessageCount(nats.nc, STREAM.embedded)).toBe(2);

    pipeline = await startTestPipeline(testConfig(nats.url), ['writer']);
    await waitFor(() => streamMessageCount(nats.nc, STREAM.embedded), {
      until: (n) => n === 0,
      what: 'stranded messages handled',
    });
    expect(await pipeline.store!.keys(SHARD)).toEqual([`${SYSTEM}/r1`]);
    const events = await readStream<IngestedEvent>(nats.nc, nats.js, STREAM.ingested);
    expect(events.map((e) => e.data.upload_id)).toEqual(['stranded-upload']);
    const letters = await readStream<DeadLetter>(nats.nc, nats.js, STREAM.deadLetters);
    expect(letters.map((l) => l.data)).toEqual([
      expect.objectContaining({ code: 'SCHEMA_INVALID', stream_seq: bad.seq }),
    ]);
    const counted = await pipeline.metrics.strandedMessages.get();
    expect(counted.values[0]?.value).toBe(2);
    expect((await jsm.consumers.info(STREAM.embedded, CONSUMER)).config.max_deliver).toBe(-1);
  });
});

describe('the stranded sweep beside live deliveries', () => {
  let nats: TestNats;
  beforeAll(async () => {
    nats = await startTestNatsWithStreams();
  });
  afterAll(() => nats.stop());

  it('a chunk stranded beside a delivery awaiting ack is taken once the ack floor stands still; a held one never', async () => {
    const jsm = await jetstreamManager(nats.nc);
    const group = (GROUP + 1) % 16;
    const consumer = writerConsumerName(group);
    const subject = subjects.embedded(group, 7);
    await jsm.consumers.update(STREAM.embedded, consumer, { max_deliver: 2, ack_wait: nanos(500) });
    const stranded = await nats.js.publish(subject, '{"stranded": true}');
    await waitFor(() => pullAndDrop(nats, consumer), {
      until: (got) => got.length === 0,
      timeoutMs: 20_000,
      what: 'gave up',
    });
    await jsm.consumers.update(STREAM.embedded, consumer, {
      max_deliver: -1,
      ack_wait: nanos(60_000),
    });
    const held = await nats.js.publish(subject, '{"held": true}');
    expect(await pullAndDrop(nats, consumer)).toEqual([held.seq]);

    const handled: number[] = [];
    const target = {
      stream: STREAM.embedded,
      consumer,
      filter: subjects.embeddedGroup(group),
      isHeld: (seq: number) => seq === held.seq,
    };
    const ackAll = async (batch: PulledMsg[]) => {
      for (const m of batch) {
        handled.push(m.seq);
        m.ack();
      }
    };
    // a first look tells nothing: the ack floor may move by the next pass
    const first = await sweepStranded(jsm, target, ackAll);
    expect({ found: first.found, seen: [...first.seen], handled }).toEqual({
      found: 0,
      seen: [],
      handled: [],
    });
    // it did not: both are seen, neither taken yet
    const second = await sweepStranded(jsm, target, ackAll, first);
    expect({ found: second.found, seen: [...second.seen], handled }).toEqual({
      found: 0,
      seen: [stranded.seq, held.seq],
      handled: [],
    });
    const third = await sweepStranded(jsm, target, ackAll, second);
    expect({ found: third.found, handled }).toEqual({ found: 1, handled: [stranded.seq] });
    const left = await jsm.streams.getMessage(STREAM.embedded, {
      seq: 1,
      next_by_subj: subjects.embeddedGroup(group),
    } as unknown as MsgRequest);
    expect(left?.seq).toBe(held.seq);
  });
});
