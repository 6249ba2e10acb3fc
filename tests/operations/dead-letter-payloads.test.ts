import { Objm } from '@nats-io/obj';
import { jetstreamManager, type JetStreamManager } from '@nats-io/jetstream';
import type { Pipeline } from '../../app/pipeline';
import { DLQ_PAYLOAD_BUCKET } from '../../consumers/dead-letter-payloads';
import { DeadLetterPublisher } from '../../consumers/dead-letters';
import { settleFailure } from '../../consumers/settle';
import { AkoshaError } from '../../infra/errors';
import { createLogger } from '../../infra/logger';
import { createMetrics } from '../../infra/metrics';
import { DeadLetterOps } from '../../operations/dead-letters';
import { MAX_INLINE_PAYLOAD_BYTES } from '../../schemas/dead-letter';
import { shardOf } from '../../schemas/ids';
import type { IngestedEvent } from '../../schemas/ingested';
import { STREAM, writerConsumerName } from '../../streams/definitions';
import { groupOfShard, subjects } from '../../streams/subjects';
import { startTestNats, startTestNatsWithStreams, type TestNats } from '../helpers/nats';
import { startTestPipeline, testConfig } from '../helpers/pipeline';
import { readStream, streamMessageCount } from '../helpers/streams';
import { record, upload } from '../helpers/uploads';
import { waitFor } from '../helpers/wait-for';

const SYS = 'dlq-big';
const log = createLogger('silent');
/** 30 records of 10,000 characters: one embedded chunk of about 360 KB */
const bigRecords = (tag: string) =>
  Array.from({ length: 30 }, (_, i) => record(`${tag}-${i}`, `${tag} ${i} `.padEnd(10_000, 'x')));

const objectKept = async (nats: TestNats, name: string) => {
  const info = await (await new Objm(nats.js).open(DLQ_PAYLOAD_BUCKET)).info(name);
  return info !== null && !info.deleted;
};

describe('dead letters over the inline limit keep their payload in the object store', () => {
  let nats: TestNats;
  let pipeline: Pipeline;
  let ops: DeadLetterOps;
  const config = () => testConfig(nats.url);

  beforeAll(async () => {
    nats = await startTestNats();
  });
  afterAll(async () => {
    await pipeline?.close();
    await nats.stop();
  });

  const events = async (uploadId: string) =>
    (await readStream<IngestedEvent>(nats.nc, nats.js, STREAM.ingested)).filter(
      (e) => e.data.upload_id === uploadId,
    );

  it('a write-stage chunk dead-lettered from the work queue is requeued from its object: stored and announced once', async () => {
    const cfg = config();
    pipeline = await startTestPipeline(cfg, ['ingest']); // no writer: the chunk waits
    ops = await DeadLetterOps.create(nats.nc, cfg.ingest.maxMessageBytes);
    await nats.js.publish(
      subjects.upload(shardOf(SYS), SYS),
      JSON.stringify(upload(SYS, 'u-big', bigRecords('w'))),
    );
    await waitFor(() => streamMessageCount(nats.nc, STREAM.embedded), {
      until: (n) => n === 1,
      what: 'the embedded chunk',
    });
    await pipeline.close();

    // the writer's failure path on its last delivery, with a real pulled message
    const group = groupOfShard(shardOf(SYS), cfg.streams.shardGroups);
    const consumer = await nats.js.consumers.get(STREAM.embedded, writerConsumerName(group));
    const msg = (await consumer.next({ expires: 10_000 }))!;
    expect(msg.data.byteLength).toBeGreaterThan(MAX_INLINE_PAYLOAD_BYTES);
    const deps = {
      deadLetters: new DeadLetterPublisher(nats.js, createMetrics()),
      retry: { maxDeliver: 1, backoffMs: [200] },
      log,
    };
    const failure = new AkoshaError('SINK_UNAVAILABLE', 'disk full');
    expect(await settleFailure(msg, failure, 'write', deps)).toBe('dead_lettered');
    // the work queue no longer holds it: the letter is the only way back
    await waitFor(() => streamMessageCount(nats.nc, STREAM.embedded), { until: (n) => n === 0 });

    const [listed] = await waitFor(() => ops.all({}), { until: (l) => l.length === 1 });
    const name = `${STREAM.embedded}/${msg.seq}/*`;
    expect(listed!.letter.payload_base64).toBeUndefined();
    expect(listed!.letter.payload_ref).toEqual({
      bucket: DLQ_PAYLOAD_BUCKET,
      name,
      sha256: expect.stringMatching(/^[0-9a-f]{64}$/),
      bytes: msg.data.byteLength,
    });
    const shown = await ops.show(listed!.seq);
    expect(shown.payload_source).toContain(`object ${DLQ_PAYLOAD_BUCKET}/${name}`);
    expect(shown.payload).toMatchObject({ upload_id: 'u-big', system_id: SYS });

    pipeline = await startTestPipeline(cfg, ['ingest', 'writer']);
    const result = await ops.requeue(listed!.seq);
    expect(result.duplicate).toBe(false);
    await waitFor(() => events('u-big'), { until: (e) => e.length === 1, what: 'event' });
    expect((await events('u-big'))[0]!.data.counts).toMatchObject({ stored: 30, duplicate: 0 });
    expect(await pipeline.store!.keys(shardOf(SYS))).toHaveLength(30);
    expect(await ops.all({})).toEqual([]);
    expect(await objectKept(nats, name)).toBe(false);
    await expect(ops.requeue(listed!.seq)).rejects.toThrow(/no dead letter/);
  });

  it('purge deletes the objects of the letters it deletes, and keeps the others', async () => {
    const subject = subjects.upload(shardOf(SYS), SYS);
    const invalid = { ...upload(SYS, 'u-bad', bigRecords('bad')), created_at: 1 };
    await nats.js.publish(subject, JSON.stringify(invalid));
    await nats.js.publish(subject, `{"upload_id":"${'m'.repeat(300_000)}`);
    const letters = await waitFor(() => ops.all({}), {
      until: (l) => l.length === 2,
      what: 'two letters',
    });
    const name = (code: string) =>
      letters.find((l) => l.letter.code === code)!.letter.payload_ref!.name;
    const schemaLetter = letters.find((l) => l.letter.code === 'SCHEMA_INVALID')!;
    expect(schemaLetter.letter.payload_ref!.bytes).toBeGreaterThan(MAX_INLINE_PAYLOAD_BYTES);
    expect((await ops.show(schemaLetter.seq)).payload).toMatchObject({ upload_id: 'u-bad' });
    expect(await objectKept(nats, name('SCHEMA_INVALID'))).toBe(true);
    expect(await objectKept(nats, name('MALFORMED_JSON'))).toBe(true);

    expect(await ops.purge({ code: 'SCHEMA_INVALID' })).toBe(1);
    expect(await objectKept(nats, name('SCHEMA_INVALID'))).toBe(false);
    expect(await objectKept(nats, name('MALFORMED_JSON'))).toBe(true);
    expect(await ops.purge({})).toBe(1);
    expect(await objectKept(nats, name('MALFORMED_JSON'))).toBe(false);
  });
});

describe('when the payload store is unavailable', () => {
  const WORK = 'T_DLQ_WORK';
  let nats: TestNats;
  let jsm: JetStreamManager;

  beforeAll(async () => {
    nats = await startTestNatsWithStreams();
    jsm = await jetstreamManager(nats.nc);
    await jsm.streams.add({ name: WORK, subjects: ['test.dlq.work'] });
    await jsm.consumers.add(WORK, { durable_name: 'w', ack_policy: 'explicit' as never });
  });
  afterAll(() => nats.stop());

  it('no letter is published and the message is retried; once the store is back, it is dead-lettered with a verified reference', async () => {
    // a stream that takes the bucket's subjects: creating the bucket fails
    await jsm.streams.add({ name: 'T_BLOCKER', subjects: [`$O.${DLQ_PAYLOAD_BUCKET}.C.>`] });
    await nats.js.publish('test.dlq.work', Buffer.alloc(300_000, 'y'));
    const deps = {
      deadLetters: new DeadLetterPublisher(nats.js, createMetrics()),
      retry: { maxDeliver: 1, backoffMs: [200] },
      log,
    };
    const consumer = await nats.js.consumers.get(WORK, 'w');
    const invalid = new AkoshaError('MALFORMED_JSON', 'not JSON');

    const first = (await consumer.next({ expires: 10_000 }))!;
    expect(await settleFailure(first, invalid, 'validate', deps)).toBe('retried');
    expect(await streamMessageCount(nats.nc, STREAM.deadLetters)).toBe(0);

    await jsm.streams.delete('T_BLOCKER');
    const second = (await consumer.next({ expires: 10_000 }))!;
    expect(second.seq).toBe(first.seq);
    expect(await settleFailure(second, invalid, 'validate', deps)).toBe('dead_lettered');

    const ops = await DeadLetterOps.create(nats.nc, 8 << 20);
    const [listed] = await waitFor(() => ops.all({}), { until: (l) => l.length === 1 });
    expect(listed!.letter.payload_ref?.bytes).toBe(300_000);
    expect((await ops.show(listed!.seq)).payload).toBe('y'.repeat(300_000));

    // an object that no longer matches its letter is not re-driven
    const store = await new Objm(nats.js).open(DLQ_PAYLOAD_BUCKET);
    await store.putBlob({ name: listed!.letter.payload_ref!.name }, Buffer.alloc(300_000, 'z'));
    await expect(ops.requeue(listed!.seq, { force: true })).rejects.toThrow(/does not match/);
    expect(await ops.all({})).toHaveLength(1);
  });
});
