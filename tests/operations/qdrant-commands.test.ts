import { publishUpload } from '../../producers/publish-upload';
import { shardOf } from '../../schemas/ids';
import { startTestNatsWithStreams, type TestNats } from '../helpers/nats';
import { testEnv } from '../helpers/pipeline';
import { runAkosha } from '../helpers/processes';
import { RecordingQdrant } from '../helpers/qdrant/server';
import { record, upload } from '../helpers/uploads';

const SYSTEM = 'qdrant-ops-host';
const SHARD = shardOf(SYSTEM);
const COLLECTION = 'ops_hot';

/** `akosha replay`, `verify` and `reembed` with the hot vectors in a Qdrant collection. */
describe('offline commands with the hot vectors in Qdrant', () => {
  let nats: TestNats;
  let qdrant: RecordingQdrant;
  let env: Record<string, string>;
  beforeAll(async () => {
    nats = await startTestNatsWithStreams();
    qdrant = await RecordingQdrant.start();
    env = testEnv(nats.url, {
      AKOSHA_VECTOR_STORE: 'qdrant',
      AKOSHA_QDRANT_URL: qdrant.url,
      AKOSHA_QDRANT_COLLECTION: COLLECTION,
    });
    const records = ['first', 'second', 'third'].map((id) => record(id, `the ${id} memory`));
    await publishUpload(nats.js, upload(SYSTEM, 'ops-1', records), { maxPayloadBytes: 1 << 20 });
  });
  afterAll(async () => {
    await qdrant.stop();
    await nats.stop();
  });
  afterEach(() => expect(qdrant.problems).toEqual([]));

  const points = () =>
    qdrant
      .payloads(COLLECTION)
      .map((p) => String(p.id))
      .sort();
  const json = (stdout: string) => JSON.parse(stdout) as Record<string, unknown>;

  it('replay stores the records and writes their points', async () => {
    const replay = await runAkosha(['replay'], env);
    expect(replay).toMatchObject({ code: 0 });
    expect(points()).toEqual(['first', 'second', 'third']);
  });

  it('verify finds points missing and extra; replay re-syncs them; verify passes', async () => {
    const c = qdrant.collections.get(COLLECTION)!;
    const [secondId, second] = [...c.points].find(([, p]) => p.payload.id === 'second')!;
    c.points.delete(secondId);
    const strayId = '00000000-0000-8000-8000-000000000001';
    c.points.set(strayId, { ...second, id: strayId, payload: { ...second.payload, id: 'stray' } });

    const drift = await runAkosha(['verify'], env);
    expect(drift.code).toBe(1);
    expect(json(drift.stdout)).toMatchObject({
      ok: false,
      vectors: {
        collection: COLLECTION,
        drift: [SHARD],
        shards: [
          {
            shard: SHARD,
            rows: 3,
            points: 3,
            missing: [`${SYSTEM}/second`],
            extra: [`${SYSTEM}/stray`],
          },
        ],
      },
    });

    const replay = await runAkosha(['replay'], env);
    expect(replay.code).toBe(0);
    // the replay re-syncs the shards it wrote at its end; the command's pass over every
    // shard then finds nothing left to do
    expect(json(replay.stdout)).toMatchObject({
      index: { shards: 1, added: 1, removed: 1, stale: [] },
      vectors: { added: 0, removed: 0 },
    });
    expect(points()).toEqual(['first', 'second', 'third']);

    const clean = await runAkosha(['verify'], env);
    expect(clean.code).toBe(0);
    expect(json(clean.stdout)).toMatchObject({ ok: true, vectors: { ok: true, drift: [] } });
  });

  it('reembed writes every point again', async () => {
    const upserts = qdrant.calls('upsert_points').length;
    const reembed = await runAkosha(['reembed'], env);
    expect(reembed.code).toBe(0);
    expect(json(reembed.stdout)).toMatchObject({
      vectors: { shards: 1, written: 3, removed: 0 },
    });
    expect(qdrant.calls('upsert_points').length).toBe(upserts + 1);
  });
});
