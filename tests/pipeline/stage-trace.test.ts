import { headers } from '@nats-io/transport-node';
import type { Pipeline } from '../../app/pipeline';
import { TRACE } from '../../consumers/stage-trace';
import { preciseNowMs } from '../../infra/clock';
import { shardOf } from '../../schemas/ids';
import { subjects } from '../../streams/subjects';
import { startTestNats, type TestNats } from '../helpers/nats';
import { startTestPipeline, testConfig } from '../helpers/pipeline';
import { record, upload } from '../helpers/uploads';
import { waitFor } from '../helpers/wait-for';

const ORDER = [
  TRACE.publish,
  TRACE.uploadStored,
  TRACE.embedReceived,
  TRACE.embeddedStored,
  TRACE.writeReceived,
  TRACE.commit,
];

describe('per-stage timings of an upload', () => {
  let nats: TestNats;
  let pipeline: Pipeline;
  const events = new Map<string, Record<string, number>>();

  beforeAll(async () => {
    nats = await startTestNats();
    pipeline = await startTestPipeline(testConfig(nats.url), ['ingest', 'writer']);
    nats.nc.subscribe(subjects.ingested('>'), {
      callback: (_err, msg) => {
        const stamps = Object.fromEntries(
          ORDER.filter((n) => msg.headers?.has(n)).map((n) => [n, Number(msg.headers!.get(n))]),
        );
        events.set((msg.json() as { upload_id: string }).upload_id, stamps);
      },
    });
  });
  afterAll(async () => {
    await pipeline.close();
    await nats.stop();
  });

  async function publish(uploadId: string, traced: boolean): Promise<void> {
    const systemId = 'trace-sys';
    const body = JSON.stringify(upload(systemId, uploadId, [record(`r-${uploadId}`, 'a memory')]));
    const h = headers();
    if (traced) h.set(TRACE.publish, preciseNowMs().toFixed(3));
    await nats.js.publish(subjects.upload(shardOf(systemId), systemId), body, {
      msgID: uploadId,
      headers: h,
    });
  }

  it('a traced upload’s event carries every stage’s stamp, in order; an untraced one none', async () => {
    await publish('traced-1', true);
    await publish('plain-1', false);
    await waitFor(() => events.size, { until: (n) => n === 2, what: 'both events' });
    const traced = events.get('traced-1')!;
    expect(Object.keys(traced)).toEqual(ORDER);
    const values = ORDER.map((n) => traced[n]!);
    // stream timestamps come from nats-server's clock: allow a millisecond of skew
    values.slice(1).forEach((v, i) => expect(v).toBeGreaterThanOrEqual(values[i]! - 1));
    expect(events.get('plain-1')).toEqual({});
  });

  it('observes each stage in akosha_stage_latency_seconds', async () => {
    const text = await pipeline.metrics.registry.metrics();
    for (const stage of ['upload_wait', 'embed', 'embedded_wait', 'write', 'announce'])
      expect(text).toMatch(
        new RegExp(`akosha_stage_latency_seconds_count\\{stage="${stage}"\\} [1-9]`),
      );
  });
});
