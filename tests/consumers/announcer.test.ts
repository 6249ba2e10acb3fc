import { rmSync } from 'node:fs';
import { jetstreamManager } from '@nats-io/jetstream';
import type { Pipeline } from '../../app/pipeline';
import { HASHING_MODEL, HashingEmbedder } from '../../embedding/hashing-embedder';
import { createLogger } from '../../infra/logger';
import { announcePending } from '../../operations/announce';
import { replayUploads } from '../../operations/replay';
import { shardOf } from '../../schemas/ids';
import type { IngestedEvent } from '../../schemas/ingested';
import { HotStore } from '../../storage/hot-store';
import { applyTopology } from '../../streams/apply';
import { STREAM } from '../../streams/definitions';
import { subjects } from '../../streams/subjects';
import { startTestNatsWithStreams, type TestNats } from '../helpers/nats';
import { startTestPipeline, testConfig } from '../helpers/pipeline';
import { readStream, streamMessageCount } from '../helpers/streams';
import { record, upload } from '../helpers/uploads';
import { waitFor } from '../helpers/wait-for';

const SYSTEMS = ['announce-a', 'announce-b'];
const UPLOADS_PER_SYSTEM = 4;
const log = createLogger('silent');

describe('ingest-complete announcements', () => {
  let nats: TestNats;
  let pipeline: Pipeline;
  const config = () => pipeline.config;

  beforeAll(async () => {
    nats = await startTestNatsWithStreams();
    pipeline = await startTestPipeline(
      testConfig(nats.url, {
        AKOSHA_OUTBOX_SWEEP_MS: '300',
        // short, so that an event purged below is past the broker's duplicate window
        AKOSHA_DUPLICATE_WINDOW_MS: '1000',
        AKOSHA_STREAMS_FORCE: 'true',
      }),
      ['ingest', 'writer'],
    );
  });
  afterAll(async () => {
    await pipeline.close();
    await nats.stop();
  });

  const events = () => readStream<IngestedEvent>(nats.nc, nats.js, STREAM.ingested);
  const uploadIds = async () => (await events()).map((e) => e.data.upload_id).sort();
  const expectedIds = SYSTEMS.flatMap((s) =>
    Array.from({ length: UPLOADS_PER_SYSTEM }, (_, u) => `${s}-u${u}`),
  ).sort();

  it('announces later, once, what the broker could not take, and never dead-letters stored data', async () => {
    const jsm = await jetstreamManager(nats.nc);
    await jsm.streams.delete(STREAM.ingested);
    for (const system of SYSTEMS)
      for (let u = 0; u < UPLOADS_PER_SYSTEM; u++) {
        const message = upload(system, `${system}-u${u}`, [
          record(`r${u}`, `${system} memory ${u}`),
        ]);
        await nats.js.publish(subjects.upload(shardOf(system), system), JSON.stringify(message));
      }
    await waitFor(() => pipeline.store!.count(), {
      until: (n) => n === SYSTEMS.length * UPLOADS_PER_SYSTEM,
      what: 'every record stored',
    });
    await waitFor(() => streamMessageCount(nats.nc, STREAM.embedded), {
      until: (n) => n === 0,
      timeoutMs: 30_000,
      what: 'every chunk acked',
    });
    expect(await streamMessageCount(nats.nc, STREAM.deadLetters)).toBe(0);

    await applyTopology(nats.nc, config().streams); // the ingested stream is back
    await waitFor(uploadIds, {
      until: (ids) => JSON.stringify(ids) === JSON.stringify(expectedIds),
      timeoutMs: 30_000,
      what: 'every upload announced',
    });
    await waitFor(() => pipeline.metrics.announcePending.get(), {
      until: (m) => m.values[0]?.value === 0,
      what: 'outbox empty',
    });
    expect(await uploadIds()).toEqual(expectedIds);
  });

  it('a flag lost after its event landed makes no second event', async () => {
    const store = pipeline.store!;
    for (const system of SYSTEMS)
      await store.withShard(shardOf(system), (conn, db) =>
        conn.run(`UPDATE ${db}.uploads_completed SET event_published = false`),
      );
    const pending = () =>
      Promise.all(SYSTEMS.map((s) => store.unannouncedUploads(shardOf(s), new Date())));
    await waitFor(pending, { until: (p) => p.flat().length === 0, what: 'flags restored' });
    expect(await uploadIds()).toEqual(expectedIds);
  });

  it('after a replay of a deleted shard, announces once the uploads never announced', async () => {
    await pipeline.close();
    const [announced, lost] = SYSTEMS as [string, string];
    const jsm = await jetstreamManager(nats.nc);
    await jsm.streams.purge(STREAM.ingested, { filter: subjects.ingested(lost) });
    await new Promise((r) => setTimeout(r, 1500)); // past the duplicate window of their ids
    let store = await HotStore.open(config().writer.hotDir, {
      concurrency: 2,
      model: HASHING_MODEL,
    });
    const file = store.shardFile(shardOf(lost));
    await store.close();
    rmSync(file);
    rmSync(`${file}.wal`, { force: true });

    store = await HotStore.open(config().writer.hotDir, { concurrency: 2, model: HASHING_MODEL });
    const embedder = new HashingEmbedder();
    try {
      await replayUploads({
        nc: nats.nc,
        store,
        embedder,
        maxMessageBytes: config().ingest.maxMessageBytes,
        chunkMaxBytes: 1 << 20,
        shard: shardOf(lost),
      });
      const swept = await announcePending(nats.nc, store, embedder.info, log);
      expect(swept).toMatchObject({ published: UPLOADS_PER_SYSTEM, pending: 0 });
      const again = await announcePending(nats.nc, store, embedder.info, log);
      expect(again.published).toBe(0);
    } finally {
      await store.close();
    }
    expect(await uploadIds()).toEqual(expectedIds);
    const ofLost = (await events()).filter((e) => e.data.system_id === lost);
    expect(ofLost).toHaveLength(UPLOADS_PER_SYSTEM);
    expect((await events()).filter((e) => e.data.system_id === announced)).toHaveLength(
      UPLOADS_PER_SYSTEM,
    );
  });
});
