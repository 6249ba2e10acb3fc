import type { Pipeline } from '../../app/pipeline';
import { WriterLease } from '../../app/writer-lease';
import { createLogger } from '../../infra/logger';
import { startTestNats, type TestNats } from '../helpers/nats';
import { startTestPipeline, testConfig } from '../helpers/pipeline';

describe('shard group ownership', () => {
  let nats: TestNats;
  beforeAll(async () => {
    nats = await startTestNats();
  });
  afterAll(() => nats.stop());

  it('refuses a second writer for the same groups, and frees them on close', async () => {
    const first = await startTestPipeline(testConfig(nats.url, { AKOSHA_WRITER_GROUPS: '0-3' }), [
      'writer',
    ]);
    const overlapping = testConfig(nats.url, { AKOSHA_WRITER_GROUPS: '3-5' });
    await expect(startTestPipeline(overlapping, ['writer'])).rejects.toThrow(
      /shard group 3 is written by .*disjoint AKOSHA_WRITER_GROUPS/,
    );

    const disjoint = await startTestPipeline(
      testConfig(nats.url, { AKOSHA_WRITER_GROUPS: '6-7' }),
      ['writer'],
    );
    await first.close();
    const second: Pipeline = await startTestPipeline(overlapping, ['writer']);
    await Promise.all([second.close(), disjoint.close()]);
  });

  it('lets a writer restarted with the same data directory take its groups back', async () => {
    const config = testConfig(nats.url, { AKOSHA_WRITER_GROUPS: '8-9' });
    // a lease never released, as a killed writer leaves it
    const abandoned = await WriterLease.claim({
      servers: nats.url,
      groups: [8, 9],
      hotDir: config.writer.hotDir,
      ...config.writer.lease,
      log: createLogger('silent'),
    });
    await abandoned.stop();
    const restarted = await startTestPipeline(config, ['writer']);
    await restarted.close();
    const other = testConfig(nats.url, { AKOSHA_WRITER_GROUPS: '9' });
    const second = await startTestPipeline(other, ['writer']);
    await second.close();
  });
});
