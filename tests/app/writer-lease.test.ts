import { createServer, type AddressInfo } from 'node:net';
import { Kvm } from '@nats-io/kv';
import type { Pipeline } from '../../app/pipeline';
import { WriterLease } from '../../app/writer-lease';
import { createLogger } from '../../infra/logger';
import { startTestNats, type TestNats } from '../helpers/nats';
import { startTestPipeline, testConfig } from '../helpers/pipeline';
import { waitFor } from '../helpers/wait-for';

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

  it('releases the groups of a start that fails after the claim', async () => {
    const busy = createServer();
    await new Promise<void>((resolve) => busy.listen(0, '127.0.0.1', resolve));
    const port = String((busy.address() as AddressInfo).port);
    const failing = testConfig(nats.url, { AKOSHA_WRITER_GROUPS: '10', AKOSHA_HTTP_PORT: port });
    try {
      await expect(startTestPipeline(failing, ['writer', 'api'])).rejects.toThrow(/EADDRINUSE/);
    } finally {
      busy.close();
    }
    const next = await startTestPipeline(testConfig(nats.url, { AKOSHA_WRITER_GROUPS: '10' }), [
      'writer',
    ]);
    await next.close();
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

describe('a writer lease taken over', () => {
  let nats: TestNats;
  beforeAll(async () => {
    nats = await startTestNats();
  });
  afterAll(() => nats.stop());

  it('is lost at the next renewal: no overwrite, not ready, failure settles', async () => {
    const config = testConfig(nats.url, {
      AKOSHA_WRITER_GROUPS: '0-1',
      AKOSHA_LEASE_TTL_MS: '3000',
    });
    const pipeline = await startTestPipeline(config, ['writer']);
    try {
      expect(pipeline.readiness()).toMatchObject({ ready: true });
      const kv = await new Kvm(nats.nc).open('AKOSHA_WRITER_LEASES');
      await kv.put('group-1', 'other-host:/elsewhere/hot'); // as a writer that claimed it after a lapse
      const failure = await pipeline.failure;
      expect(failure.message).toMatch(/writer lease lost: another writer holds the lease/);
      expect(pipeline.readiness()).toMatchObject({ ready: false, reason: 'lease lost' });
      expect((await kv.get('group-1'))?.string()).toBe('other-host:/elsewhere/hot');
    } finally {
      await pipeline.close();
    }
  });
});

describe('a writer lease whose renewals fail', () => {
  it('stops holding before its TTL has passed since the last renewal', async () => {
    const nats = await startTestNats();
    const lease = await WriterLease.claim({
      servers: nats.url,
      groups: [0],
      hotDir: '/tmp/akosha-lease-unreachable',
      ttlMs: 3000,
      renewEveryMs: 1000,
      log: createLogger('silent'),
    });
    try {
      const kv = await new Kvm(nats.nc).open('AKOSHA_WRITER_LEASES');
      // the server drops the key TTL after it received the last renewal: take its time from there
      await waitFor(async () => (await kv.get('group-0'))!.revision, { until: (r) => r > 1 });
      const lastRenewalMs = Date.now();
      await nats.stop(); // every renewal from now on fails
      await waitFor(() => !lease.holds(), { what: 'lease no longer holds', timeoutMs: 10_000 });
      expect(Date.now() - lastRenewalMs).toBeLessThan(3000);
      expect(lease.lostReason).toMatch(/not renewed within 3000 ms/);
    } finally {
      await lease.stop();
    }
  });
});
