import { join } from 'node:path';
import type { Pipeline } from '../../app/pipeline';
import { publishUpload } from '../../producers/publish-upload';
import { shardOf } from '../../schemas/ids';
import type { IngestedEvent } from '../../schemas/ingested';
import { shardFileName } from '../../storage/hot-schema';
import { STREAM } from '../../streams/definitions';
import { startTestNats, type TestNats } from '../helpers/nats';
import { startTestPipeline, testConfig } from '../helpers/pipeline';
import { kill, spawnNodeScript } from '../helpers/processes';
import { readStream, streamMessageCount } from '../helpers/streams';
import { record, upload } from '../helpers/uploads';
import { waitFor } from '../helpers/wait-for';

/** Another process holding DuckDB's lock on the shard file: the sink is really unavailable. */
const holdLock = (file: string) =>
  spawnNodeScript(`
    const { DuckDBInstance } = require('@duckdb/node-api');
    DuckDBInstance.create(${JSON.stringify(file)}).then(() => { console.log('ready'); setInterval(() => {}, 1000); });
  `);

describe('retryable failures', () => {
  let nats: TestNats;
  let pipeline: Pipeline;
  beforeAll(async () => {
    nats = await startTestNats();
    pipeline = await startTestPipeline(testConfig(nats.url, { AKOSHA_BACKOFF_MS: '400,800,1600' }));
  });
  afterAll(async () => {
    await pipeline.close();
    await nats.stop();
  });

  const retried = async () =>
    (await pipeline.metrics.ingestMessages.get()).values.find(
      (v) => v.labels.stage === 'write' && v.labels.outcome === 'retried',
    )?.value ?? 0;

  it('naks with backoff while a shard file is locked, then stores the upload once', async () => {
    const system = 'locked-host';
    const file = join(pipeline.config.writer.hotDir, shardFileName(shardOf(system)));
    const holder = await holdLock(file);

    const started = Date.now();
    await publishUpload(
      nats.js,
      upload(system, 'u-locked', [record('a', 'waiting for the lock')]),
      { maxPayloadBytes: 1 << 20 },
    );
    await waitFor(retried, { until: (n) => n >= 2, what: 'two retries' });
    // backoff 400 ms then 800 ms: two retries take at least 400 ms; a hot loop would have made hundreds
    expect(Date.now() - started).toBeGreaterThanOrEqual(400);
    expect(await retried()).toBeLessThanOrEqual(3);
    expect(await streamMessageCount(nats.nc, STREAM.ingested)).toBe(0);

    await kill(holder, 'SIGKILL');
    await waitFor(() => streamMessageCount(nats.nc, STREAM.ingested), {
      until: (n) => n === 1,
      what: 'event after recovery',
    });
    const [event] = await readStream<IngestedEvent>(nats.nc, nats.js, STREAM.ingested);
    expect(event!.data.counts).toMatchObject({ stored: 1, duplicate: 0 });
    expect(await pipeline.store!.keys(shardOf(system))).toEqual([`${system}/a`]);
    expect(await streamMessageCount(nats.nc, STREAM.deadLetters)).toBe(0);
  });
});
