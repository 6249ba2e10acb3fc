import type { Pipeline } from '../../app/pipeline';
import { publishUpload } from '../../producers/publish-upload';
import { shardOf } from '../../schemas/ids';
import { STREAM } from '../../streams/definitions';
import { groupOfShard } from '../../streams/subjects';
import { startTestNats, type TestNats } from '../helpers/nats';
import { startTestPipeline, testConfig, testEnv } from '../helpers/pipeline';
import { runAkosha } from '../helpers/processes';
import { streamMessageCount } from '../helpers/streams';
import { record, upload } from '../helpers/uploads';
import { waitFor } from '../helpers/wait-for';

const GROUPS = 16;
const OWNED = '0-7';
/** a system whose shard is in a group the writer owns */
const SYSTEM = Array.from({ length: 50 }, (_, i) => `online-${i}`).find(
  (s) => groupOfShard(shardOf(s), GROUPS) < 8,
)!;
/** a shard of a group no writer owns */
const UNOWNED_SHARD = 255;

describe('akosha replay --online', () => {
  let nats: TestNats;
  let writer: Pipeline;
  beforeAll(async () => {
    nats = await startTestNats();
    const settings = { AKOSHA_WRITER_GROUPS: OWNED, AKOSHA_OUTBOX_SWEEP_MS: '500' };
    // a writer alone: the uploads stay in AKOSHA_UPLOADS, as if the embed stage had lost them
    writer = await startTestPipeline(testConfig(nats.url, settings), ['writer']);
  });
  afterAll(async () => {
    await writer.close();
    await nats.stop();
  });

  it('has the owning writer replay into its own store, index and announcements', async () => {
    for (const u of [0, 1, 2]) {
      const records = [0, 1, 2, 3, 4].map((k) => record(`m-${u}-${k}`, `online ${u} ${k}`));
      await publishUpload(nats.js, upload(SYSTEM, `online-u${u}`, records), {
        maxPayloadBytes: 1 << 20,
      });
    }
    const env = testEnv(nats.url);
    const offline = await runAkosha(['replay', '--system', SYSTEM], env);
    expect(offline.code).toBe(1);
    expect(offline.stderr).toContain('--online');

    const online = await runAkosha(['replay', '--online', '--system', SYSTEM], env);
    expect({ code: online.code, stderr: online.stderr }).toMatchObject({ code: 0 });
    const summary = JSON.parse(online.stdout) as { records: { stored: number } };
    expect(summary.records.stored).toBe(15);
    expect(await writer.store!.count(shardOf(SYSTEM))).toBe(15);
    expect(await writer.store!.indexCount()).toBe(15);
    await waitFor(() => streamMessageCount(nats.nc, STREAM.ingested), {
      until: (n) => n === 3,
      what: 'the replayed uploads announced once each',
    });

    const unowned = await runAkosha(['replay', '--online', '--shard', String(UNOWNED_SHARD)], env);
    expect(unowned.code).toBe(1);
    expect(unowned.stderr).toMatch(/no live writer serves shard group 15 \(shard 255\)/);
  }, 180_000);
});
