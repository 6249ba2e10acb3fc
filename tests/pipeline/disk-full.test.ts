import { rmSync } from 'node:fs';
import { join } from 'node:path';
import type { Pipeline } from '../../app/pipeline';
import { shardOf } from '../../schemas/ids';
import { STREAM } from '../../streams/definitions';
import { subjects } from '../../streams/subjects';
import { startTestNatsWithStreams, type TestNats } from '../helpers/nats';
import { startTestPipeline, testConfig } from '../helpers/pipeline';
import { fillDisk, mountSmallDisk, unmountSmallDisk } from '../helpers/small-disk';
import { streamMessageCount } from '../helpers/streams';
import { record, upload } from '../helpers/uploads';
import { waitFor } from '../helpers/wait-for';

const SYSTEM = 'disk-full-system';
const UPLOADS = 20;

describe('a full disk under the shard writer', () => {
  let nats: TestNats;
  let disk: string;
  let pipeline: Pipeline;

  beforeAll(async () => {
    nats = await startTestNatsWithStreams();
    disk = mountSmallDisk(48);
    pipeline = await startTestPipeline(
      testConfig(nats.url, {
        AKOSHA_DATA_DIR: join(disk, 'data'),
        AKOSHA_MAX_DELIVER: '2',
        AKOSHA_ACK_WAIT_MS: '1000',
      }),
      ['ingest', 'writer'],
    );
  });
  afterAll(async () => {
    await pipeline?.close();
    unmountSmallDisk(disk);
    await nats.stop();
  });

  const publish = async (from: number, to: number) => {
    for (let u = from; u < to; u++) {
      const text = `memory ${u} `.repeat(2000); // ~24 KB a record
      const message = upload(SYSTEM, `full-${u}`, [record(`r${u}`, text)]);
      await nats.js.publish(subjects.upload(shardOf(SYSTEM), SYSTEM), JSON.stringify(message), {
        msgID: `full-${u}`,
      });
    }
  };

  it('stalls without spending deliveries or dead-lettering, reports it, and resumes once space is back', async () => {
    await publish(0, 1); // the shard file exists before the disk fills
    await waitFor(() => pipeline.store!.count(), { until: (n) => n === 1, what: 'first record' });
    const filler = fillDisk(disk, 16 * 1024);
    await publish(1, UPLOADS);

    const stalled = await waitFor(() => pipeline.readiness(), {
      until: (r) => r.storage !== undefined,
      timeoutMs: 30_000,
      what: 'writer stalled',
    });
    expect(stalled).toMatchObject({ ready: false, storage: { reason: 'disk_full' } });
    const gauge = await pipeline.metrics.writerStalled.get();
    expect(gauge.values).toContainEqual(expect.objectContaining({ value: 1 }));
    // longer than ack_wait would allow, were the held messages not kept alive
    await new Promise((r) => setTimeout(r, 4000));
    expect(await streamMessageCount(nats.nc, STREAM.deadLetters)).toBe(0);

    rmSync(filler);
    await waitFor(() => pipeline.store!.count(), {
      until: (n) => n === UPLOADS,
      timeoutMs: 60_000,
      what: 'every record stored once space is back',
    });
    await waitFor(() => streamMessageCount(nats.nc, STREAM.ingested), {
      until: (n) => n === UPLOADS,
      what: 'every upload announced',
    });
    expect(pipeline.readiness()).toMatchObject({ ready: true });
    expect(pipeline.readiness().storage).toBeUndefined();
    expect(await streamMessageCount(nats.nc, STREAM.deadLetters)).toBe(0);
    expect(await streamMessageCount(nats.nc, STREAM.ingested)).toBe(UPLOADS);
  });
});
