import { join } from 'node:path';
import type { Pipeline } from '../../app/pipeline';
import { DeadLetterOps } from '../../operations/dead-letters';
import { shardOf } from '../../schemas/ids';
import type { IngestedEvent } from '../../schemas/ingested';
import { shardFileName } from '../../storage/hot-schema';
import { STREAM } from '../../streams/definitions';
import { subjects } from '../../streams/subjects';
import { startTestNats, type TestNats } from '../helpers/nats';
import { startTestPipeline, testConfig } from '../helpers/pipeline';
import { kill, spawnNodeScript } from '../helpers/processes';
import { readStream } from '../helpers/streams';
import { record, upload } from '../helpers/uploads';
import { waitFor } from '../helpers/wait-for';

/** Another process holding DuckDB's lock on the shard file: the sink is really unavailable. */
const holdLock = (file: string) =>
  spawnNodeScript(`
    const { DuckDBInstance } = require('@duckdb/node-api');
    DuckDBInstance.create(${JSON.stringify(file)}).then(() => { console.log('ready'); setInterval(() => {}, 1000); });
  `);

const BAD = 'dlq-bad';
const REC = 'dlq-rec';
const LOCKED = 'dlq-locked';

describe('dead letters: list, show, requeue, purge', () => {
  let nats: TestNats;
  let pipeline: Pipeline;
  let ops: DeadLetterOps;

  beforeAll(async () => {
    nats = await startTestNats();
    const config = testConfig(nats.url, { AKOSHA_MAX_DELIVER: '3', AKOSHA_BACKOFF_MS: '200,400' });
    pipeline = await startTestPipeline(config, ['ingest', 'writer']);
    ops = await DeadLetterOps.create(nats.nc, config.ingest.maxMessageBytes);
  });
  afterAll(async () => {
    await pipeline.close();
    await nats.stop();
  });

  const publish = (system: string, body: string) =>
    nats.js.publish(subjects.upload(shardOf(system), system), body);
  const events = async (uploadId: string) =>
    (await readStream<IngestedEvent>(nats.nc, nats.js, STREAM.ingested)).filter(
      (e) => e.data.upload_id === uploadId,
    );
  const writeRetries = async () =>
    (await pipeline.metrics.ingestMessages.get()).values.find(
      (v) => v.labels.stage === 'write' && v.labels.outcome === 'retried',
    )?.value ?? 0;

  it('lists, filters and shows letters with their payload decoded', async () => {
    await publish(BAD, '{"schema_version":1,"upload_id":"broken"');
    await publish(
      BAD,
      JSON.stringify({ ...upload(BAD, 'no-date', [record('x', 'x')]), created_at: 1 }),
    );
    await publish(
      REC,
      JSON.stringify(
        upload(REC, 'u-rec', [
          record('good-1', 'a good record'),
          record('bad-1', 'a record with a short vector', { embedding: [0.1, 0.2] }),
        ]),
      ),
    );
    const all = await waitFor(() => ops.all({}), {
      until: (l) => l.length === 3,
      what: 'three letters',
    });
    expect(all.map((l) => l.letter.code).sort()).toEqual([
      'EMBEDDING_DIMENSION',
      'MALFORMED_JSON',
      'SCHEMA_INVALID',
    ]);
    expect((await ops.list({ code: 'MALFORMED_JSON' })).letters).toHaveLength(1);
    expect((await ops.list({ stage: 'validate', systemId: REC })).letters).toMatchObject([
      { letter: { record_id: 'bad-1', payload_kind: 'record', upload_id: 'u-rec' } },
    ]);
    expect((await ops.list({ stage: 'write' })).letters).toEqual([]);
    expect((await ops.list({ since: new Date(Date.now() + 60_000) })).letters).toEqual([]);

    const page = await ops.list({}, { limit: 2 });
    expect(page.letters).toHaveLength(2);
    const rest = await ops.list({}, { afterSeq: page.next! });
    expect([...page.letters, ...rest.letters].map((l) => l.seq)).toEqual(all.map((l) => l.seq));

    const malformed = all.find((l) => l.letter.code === 'MALFORMED_JSON')!;
    expect((await ops.show(malformed.seq)).payload).toBe(
      '{"schema_version":1,"upload_id":"broken"',
    );
    const rec = all.find((l) => l.letter.payload_kind === 'record')!;
    expect((await ops.show(rec.seq)).payload).toMatchObject({ id: 'bad-1', embedding: [0.1, 0.2] });
  });

  it('requeues a record letter once its record is fixed: stored and announced once', async () => {
    const [rec] = (await ops.list({ code: 'EMBEDDING_DIMENSION' })).letters;
    await expect(ops.requeue(rec!.seq)).rejects.toMatchObject({ code: 'EMBEDDING_DIMENSION' });
    const [malformed] = (await ops.list({ code: 'MALFORMED_JSON' })).letters;
    await expect(ops.requeue(malformed!.seq)).rejects.toMatchObject({ code: 'MALFORMED_JSON' });

    const fixed = Buffer.from(JSON.stringify(record('bad-1', 'a record, fixed')));
    const result = await ops.requeue(rec!.seq, { replacement: fixed });
    expect(result.uploadId).toMatch(/^u-rec-rq-[0-9a-f]{12}$/);
    await waitFor(() => events(result.uploadId!), { until: (e) => e.length === 1 });
    expect((await events(result.uploadId!))[0]!.data.record_ids).toEqual(['bad-1']);
    expect(await pipeline.store!.keys(shardOf(REC))).toEqual([`${REC}/bad-1`, `${REC}/good-1`]);
    expect((await ops.list({ code: 'EMBEDDING_DIMENSION' })).letters).toEqual([]);
    await expect(ops.requeue(rec!.seq)).rejects.toThrow(/no dead letter/);
  });

  it('dead-letters a write that keeps failing after its backoff, and requeues it once the shard is free', async () => {
    const file = join(pipeline.config.writer.hotDir, shardFileName(shardOf(LOCKED)));
    const holder = await holdLock(file);
    const publishedAt = Date.now();
    await publish(LOCKED, JSON.stringify(upload(LOCKED, 'u-locked', [record('k', 'locked out')])));
    const [letter] = await waitFor(
      async () => (await ops.list({ code: 'RETRIES_EXHAUSTED' })).letters,
      { until: (l) => l.length === 1, what: 'RETRIES_EXHAUSTED letter' },
    );
    expect(letter!.letter).toMatchObject({
      stage: 'write',
      stream: STREAM.embedded,
      delivery_count: 3,
      payload_kind: 'message',
    });
    // nak 200 ms after the first delivery, 400 ms after the second: no hot loop
    expect(Date.parse(letter!.letter.failed_at) - publishedAt).toBeGreaterThanOrEqual(600);
    expect(await writeRetries()).toBe(2);
    expect(await events('u-locked')).toEqual([]);

    await kill(holder, 'SIGKILL');
    const first = await ops.requeue(letter!.seq, { keep: true });
    const second = await ops.requeue(letter!.seq); // as if the first had crashed before deleting
    expect(first.duplicate).toBe(false);
    expect(second).toMatchObject({ duplicate: true, msgId: first.msgId });
    await waitFor(() => events('u-locked'), { until: (e) => e.length === 1, what: 'event' });
    expect((await events('u-locked'))[0]!.data.counts).toMatchObject({ stored: 1, duplicate: 0 });
    expect(await pipeline.store!.keys(shardOf(LOCKED))).toEqual([`${LOCKED}/k`]);
    await expect(ops.requeue(letter!.seq)).rejects.toThrow(/no dead letter/);
    expect((await ops.list({ code: 'RETRIES_EXHAUSTED' })).letters).toEqual([]);
  });

  it('purges the letters a filter selects and keeps the rest', async () => {
    expect((await ops.all({})).map((l) => l.letter.code).sort()).toEqual([
      'MALFORMED_JSON',
      'SCHEMA_INVALID',
    ]);
    expect(await ops.purge({ code: 'MALFORMED_JSON', systemId: undefined })).toBe(1);
    expect((await ops.all({})).map((l) => l.letter.code)).toEqual(['SCHEMA_INVALID']);
    expect(await ops.purge({ stage: 'validate' })).toBe(1);
    expect(await ops.all({})).toEqual([]);
  });
});
