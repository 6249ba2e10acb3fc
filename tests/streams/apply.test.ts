import { jetstreamManager } from '@nats-io/jetstream';
import { nanos } from '@nats-io/transport-node';
import { loadConfig } from '../../infra/config';
import { applyTopology } from '../../streams/apply';
import { INGEST_CONSUMER, STREAM, writerConsumerName } from '../../streams/definitions';
import { startTestNats, type TestNats } from '../helpers/nats';

describe('applyTopology', () => {
  let nats: TestNats;
  beforeAll(async () => {
    nats = await startTestNats();
  });
  afterAll(() => nats.stop());

  it('creates the streams and consumers, and updates them idempotently', async () => {
    await applyTopology(nats.nc, loadConfig({}).streams);
    await applyTopology(
      nats.nc,
      loadConfig({ AKOSHA_UPLOADS_MAX_AGE_DAYS: '3', AKOSHA_ACK_WAIT_MS: '5000' }).streams,
    );
    const jsm = await jetstreamManager(nats.nc);
    const uploads = await jsm.streams.info(STREAM.uploads);
    expect(uploads.config).toMatchObject({
      subjects: ['akosha.uploads.>'],
      retention: 'limits',
      storage: 'file',
      max_age: nanos(3 * 86_400_000),
    });
    expect((await jsm.streams.info(STREAM.embedded)).config.retention).toBe('workqueue');
    expect((await jsm.consumers.info(STREAM.uploads, INGEST_CONSUMER)).config).toMatchObject({
      ack_wait: nanos(5000),
      filter_subject: 'akosha.uploads.>',
    });
    expect(
      (await jsm.consumers.info(STREAM.embedded, writerConsumerName(15))).config.filter_subject,
    ).toBe('akosha.embedded.15.>');
    const names = [];
    for await (const s of jsm.streams.list()) names.push(s.config.name);
    expect(names.sort()).toEqual(
      [STREAM.deadLetters, STREAM.embedded, STREAM.ingested, STREAM.uploads].sort(),
    );
  });
});
