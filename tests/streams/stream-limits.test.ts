import { jetstreamManager } from '@nats-io/jetstream';
import pino from 'pino';
import type { Pipeline } from '../../app/pipeline';
import { isTransientPublishError } from '../../consumers/hand-off';
import { loadConfig } from '../../infra/config';
import type { DeadLetter } from '../../schemas/dead-letter';
import { shardOf } from '../../schemas/ids';
import { applyTopology } from '../../streams/apply';
import { STREAM, streamDefinitions } from '../../streams/definitions';
import { subjects } from '../../streams/subjects';
import { startTestNats, type TestNats } from '../helpers/nats';
import { startTestPipeline, testConfig } from '../helpers/pipeline';
import { readStream, streamMessageCount } from '../helpers/streams';
import { record, upload } from '../helpers/uploads';
import { waitFor } from '../helpers/wait-for';

const SYSTEM = 'flooding-host';
const SUBJECT = subjects.upload(shardOf(SYSTEM), SYSTEM);
const SMALL = { AKOSHA_UPLOADS_MAX_BYTES: '64KiB' };

describe('stream byte limits', () => {
  it('parses sizes with binary units, -1 for none, and refuses anything else', () => {
    expect(loadConfig({ AKOSHA_DLQ_MAX_BYTES: '2GiB' }).streams.maxBytes.deadLetters).toBe(2 ** 31);
    expect(loadConfig({ AKOSHA_AUDIT_MAX_BYTES: '-1' }).streams.maxBytes.audit).toBe(-1);
    expect(loadConfig({ AKOSHA_INGESTED_MAX_BYTES: '4096' }).streams.maxBytes.ingested).toBe(4096);
    expect(() => loadConfig({ AKOSHA_UPLOADS_MAX_BYTES: 'lots' })).toThrow(
      /AKOSHA_UPLOADS_MAX_BYTES/,
    );
  });

  it('gives every stream a limit that together fits the shipped max_file_store, and DiscardNew', () => {
    const defs = streamDefinitions(loadConfig({}).streams);
    for (const def of defs)
      expect(def).toMatchObject({ discard: 'new', max_bytes: expect.any(Number) });
    const total = defs.reduce((sum, d) => sum + d.max_bytes!, 0);
    expect(total).toBeLessThanOrEqual(20 * 2 ** 30 * 0.8); // nats.conf: max_file_store 20GB
  });

  describe('on a real server', () => {
    let nats: TestNats;
    let pipeline: Pipeline | undefined;
    beforeAll(async () => {
      nats = await startTestNats();
    });
    afterAll(async () => {
      await pipeline?.close();
      await nats.stop();
    });

    it('a full uploads stream refuses publishes, keeps what it took, and the DLQ still takes letters', async () => {
      await applyTopology(nats.nc, loadConfig(SMALL).streams);
      // the flood starts with an upload that will fail validation
      const bad = await nats.js.publish(SUBJECT, '{"schema_version": 1, "records": "none"}');
      const accepted: number[] = [bad.seq];
      let refusal: unknown;
      for (let i = 0; i < 100 && refusal === undefined; i++) {
        const body = upload(SYSTEM, `flood-${i}`, [record(`r-${i}`, `flood ${i} `.repeat(400))]);
        await nats.js
          .publish(SUBJECT, JSON.stringify(body), { msgID: `flood-${i}` })
          .then((ack) => accepted.push(ack.seq))
          .catch((err: unknown) => (refusal = err));
      }
      expect(refusal).toMatchObject({ message: 'maximum bytes exceeded' });
      expect(isTransientPublishError(refusal)).toBe(true); // the embed stage's hand-off waits
      expect(accepted.length).toBeGreaterThan(5);
      const jsm = await jetstreamManager(nats.nc);
      const held = await jsm.streams.info(STREAM.uploads);
      expect(held.state).toMatchObject({ messages: accepted.length, first_seq: bad.seq });
      expect(held.state.bytes).toBeLessThanOrEqual(64 * 1024);
      // nothing acknowledged was discarded to make room
      for (const seq of accepted)
        await expect(jsm.streams.getMessage(STREAM.uploads, { seq })).resolves.toBeTruthy();

      pipeline = await startTestPipeline(testConfig(nats.url, SMALL), ['ingest']);
      await waitFor(() => streamMessageCount(nats.nc, STREAM.deadLetters), {
        until: (n) => n === 1,
        what: 'the bad upload dead-lettered while uploads is full',
      });
      const [letter] = await readStream<DeadLetter>(nats.nc, nats.js, STREAM.deadLetters);
      expect(letter!.data).toMatchObject({ code: 'SCHEMA_INVALID', stream_seq: bad.seq });
      await waitFor(() => streamMessageCount(nats.nc, STREAM.embedded), {
        until: (n) => n === accepted.length - 1,
        what: 'every accepted upload embedded',
      });
      expect((await jsm.streams.info(STREAM.uploads)).state.messages).toBe(accepted.length);
    });
  });

  describe('on a server that holds the streams of an older release', () => {
    let nats: TestNats;
    beforeAll(async () => {
      nats = await startTestNats();
    });
    afterAll(() => nats.stop());

    it('keeps the unlimited max_bytes the server holds unless forced, and turns to DiscardNew', async () => {
      const older = streamDefinitions(loadConfig({}).streams).map((d) => ({
        ...d,
        discard: 'old' as const,
        max_bytes: -1,
      }));
      const jsm = await jetstreamManager(nats.nc);
      for (const def of older) await jsm.streams.add(def);

      const warnings: { field?: string; stream?: string }[] = [];
      const log = pino({ level: 'warn' }, { write: (l: string) => warnings.push(JSON.parse(l)) });
      await applyTopology(nats.nc, loadConfig({}).streams, log);
      const kept = await jsm.streams.info(STREAM.deadLetters);
      expect(kept.config).toMatchObject({ max_bytes: -1, discard: 'new' });
      expect(warnings).toContainEqual(
        expect.objectContaining({ stream: STREAM.deadLetters, field: 'max_bytes' }),
      );

      await applyTopology(nats.nc, loadConfig({ AKOSHA_STREAMS_FORCE: 'true' }).streams);
      expect((await jsm.streams.info(STREAM.deadLetters)).config.max_bytes).toBe(2 ** 30);
    });

    it('says which settings to lower when the server cannot reserve the limits', async () => {
      const config = loadConfig({
        AKOSHA_STREAMS_FORCE: 'true',
        AKOSHA_UPLOADS_MAX_BYTES: '30GiB',
      });
      await expect(applyTopology(nats.nc, config.streams)).rejects.toThrow(
        /stream AKOSHA_UPLOADS: .*max_file_store/,
      );
    });
  });
});
