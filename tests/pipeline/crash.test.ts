import type { IngestedEvent } from '../../schemas/ingested';
import { HotStore } from '../../storage/hot-store';
import { STREAM } from '../../streams/definitions';
import { startTestNatsWithStreams, type TestNats } from '../helpers/nats';
import { testEnv } from '../helpers/pipeline';
import { kill, spawnAkosha } from '../helpers/processes';
import { readStream, streamMessageCount } from '../helpers/streams';
import { publishMany, record, upload } from '../helpers/uploads';
import { waitFor } from '../helpers/wait-for';
import { HASHING_MODEL } from '../../embedding/hashing-embedder';

const UPLOADS = 1200;
const systemOf = (u: number) => `host-${u % 30}`;
const uploadOf = (u: number) =>
  upload(
    systemOf(u),
    `crash-${u}`,
    [0, 1, 2].map((k) => record(`m-${u}-${k}`, `crash test ${u} record ${k}`)),
  );

describe('crash safety: SIGKILL mid-batch', () => {
  let nats: TestNats;
  beforeAll(async () => {
    nats = await startTestNatsWithStreams();
  });
  afterAll(() => nats.stop());

  const events = () => streamMessageCount(nats.nc, STREAM.ingested);

  it('loses nothing and stores nothing twice across kills, restarts and a republished backlog', async () => {
    const env = testEnv(nats.url, { AKOSHA_ACK_WAIT_MS: '2000', AKOSHA_BATCH_SIZE: '64' });
    const publishAll = () => publishMany(nats.js, UPLOADS, uploadOf);

    let akosha = spawnAkosha(['start', '--roles', 'ingest,writer'], env);
    await publishAll();
    await waitFor(events, { until: (n) => n >= 100, what: 'first events' });
    await kill(akosha, 'SIGKILL');
    const afterFirstKill = await events();
    expect(afterFirstKill).toBeLessThan(UPLOADS);

    await publishAll(); // the producer retries everything: the broker drops the duplicates
    akosha = spawnAkosha(['start', '--roles', 'ingest,writer'], env);
    await waitFor(events, {
      until: (n) => n >= afterFirstKill + 200,
      what: 'progress after restart',
      timeoutMs: 60_000, // a start re-syncs the index of every shard the kill left unsaved
    });
    await kill(akosha, 'SIGKILL');

    akosha = spawnAkosha(['start', '--roles', 'ingest,writer'], env);
    await waitFor(events, { until: (n) => n >= UPLOADS, what: 'all events', timeoutMs: 150_000 });
    await kill(akosha, 'SIGTERM');

    const published = await readStream<IngestedEvent>(nats.nc, nats.js, STREAM.ingested);
    expect(published).toHaveLength(UPLOADS);
    expect(new Set(published.map((e) => e.data.upload_id)).size).toBe(UPLOADS);
    expect(published.every((e) => e.data.counts.stored + e.data.counts.duplicate === 3)).toBe(true);

    const store = await HotStore.open(`${env.AKOSHA_DATA_DIR}/hot`, {
      concurrency: 1,
      model: HASHING_MODEL,
    });
    const keys = (await Promise.all(store.shards.map((s) => store.keys(s)))).flat();
    await store.close();
    const expected = Array.from({ length: UPLOADS }, (_, u) =>
      [0, 1, 2].map((k) => `${systemOf(u)}/m-${u}-${k}`),
    ).flat();
    expect(keys.sort()).toEqual(expected.sort());
  }, 300_000); // three starts and two kills: slow on a loaded 2-core machine
});
