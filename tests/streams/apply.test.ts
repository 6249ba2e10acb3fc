import { jetstreamManager } from '@nats-io/jetstream';
import { connect, nanos } from '@nats-io/transport-node';
import { loadConfig } from '../../infra/config';
import { applyTopology, createdUnlessRaced } from '../../streams/apply';
import { INGEST_CONSUMER, STREAM, writerConsumerName } from '../../streams/definitions';
import pino from 'pino';
import { startTestNats, type TestNats } from '../helpers/nats';
import { testEnv } from '../helpers/pipeline';
import { exited, kill, spawnAkosha } from '../helpers/processes';
import { waitFor } from '../helpers/wait-for';

const DAY_MS = 86_400_000;

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
      loadConfig({ AKOSHA_UPLOADS_MAX_AGE_DAYS: '60', AKOSHA_ACK_WAIT_MS: '5000' }).streams,
    );
    const jsm = await jetstreamManager(nats.nc);
    const uploads = await jsm.streams.info(STREAM.uploads);
    expect(uploads.config).toMatchObject({
      subjects: ['akosha.uploads.>'],
      retention: 'limits',
      storage: 'file',
      max_age: nanos(60 * 86_400_000),
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
    expect(names.sort()).toEqual(Object.values(STREAM).sort());
  });

  it('creates the topology when several processes apply it at once', async () => {
    // processes of one deployment start together: each finds no stream, and all but one
    // create fails; those must update what the first created, not give up
    const fresh = await startTestNats();
    const processes = await Promise.all(
      Array.from({ length: 6 }, () => connect({ servers: fresh.url })),
    );
    try {
      const config = loadConfig({}).streams;
      await Promise.all(processes.map((nc) => applyTopology(nc, config)));
      const jsm = await jetstreamManager(fresh.nc);
      const names = [];
      for await (const s of jsm.streams.list()) names.push(s.config.name);
      expect(names.sort()).toEqual(Object.values(STREAM).sort());
      expect((await jsm.consumers.info(STREAM.uploads, INGEST_CONSUMER)).config.durable_name).toBe(
        INGEST_CONSUMER,
      );
    } finally {
      await Promise.all(processes.map((nc) => nc.close()));
      await fresh.stop();
    }
  });

  it('takes a create that failed because another process created it first as done by that process', async () => {
    const refused = () => Promise.reject(new Error('subjects overlap with an existing stream'));
    const created = () => Promise.resolve({});
    expect(await createdUnlessRaced(created, () => Promise.resolve(undefined))).toBe(true);
    expect(await createdUnlessRaced(refused, () => Promise.resolve({ name: 'X' }))).toBe(false);
    await expect(createdUnlessRaced(refused, () => Promise.resolve(undefined))).rejects.toThrow(
      /subjects overlap/,
    );
  });

  it('keeps a longer history and dedupe window that the server holds; --force lowers them', async () => {
    const jsm = await jetstreamManager(nats.nc);
    const held = { max_age: nanos(120 * DAY_MS), duplicate_window: nanos(3_600_000) };
    await jsm.streams.update(STREAM.uploads, held);

    const warnings: unknown[] = [];
    const log = pino(
      { level: 'warn' },
      { write: (line: string) => warnings.push(JSON.parse(line)) },
    );
    await applyTopology(nats.nc, loadConfig({}).streams, log);
    expect((await jsm.streams.info(STREAM.uploads)).config).toMatchObject(held);
    expect(warnings).toEqual(
      expect.arrayContaining([
        expect.objectContaining({ stream: STREAM.uploads, field: 'max_age' }),
        expect.objectContaining({ stream: STREAM.uploads, field: 'duplicate_window' }),
      ]),
    );

    const cli = spawnAkosha(['streams', '--force'], { AKOSHA_NATS_URL: nats.url });
    await exited(cli);
    expect(cli.exitCode).toBe(0);
    expect((await jsm.streams.info(STREAM.uploads)).config).toMatchObject({
      max_age: nanos(30 * DAY_MS),
      duplicate_window: nanos(300_000),
    });
  });

  it('akosha start --force lowers them too', async () => {
    const jsm = await jetstreamManager(nats.nc);
    await jsm.streams.update(STREAM.uploads, { max_age: nanos(120 * DAY_MS) });
    const akosha = spawnAkosha(['start', '--roles', 'api', '--force'], testEnv(nats.url));
    try {
      await waitFor(async () => (await jsm.streams.info(STREAM.uploads)).config.max_age, {
        until: (maxAge) => maxAge === nanos(30 * DAY_MS),
        what: 'max_age lowered by the start',
        timeoutMs: 60_000,
      });
    } finally {
      await kill(akosha, 'SIGTERM');
    }
  });
});
