import { jetstreamManager } from '@nats-io/jetstream';
import { loadConfig } from '../../infra/config';
import { consumerDefinitions, STREAM } from '../../streams/definitions';
import { startTestNatsWithStreams, type TestNats } from '../helpers/nats';
import { testEnv } from '../helpers/pipeline';
import { exited, spawnAkosha } from '../helpers/processes';
import { streamMessageCount } from '../helpers/streams';
import { publishMany, record, upload } from '../helpers/uploads';
import { waitFor } from '../helpers/wait-for';

const UPLOADS = 1500;

describe('SIGTERM drains', () => {
  let nats: TestNats;
  beforeAll(async () => {
    nats = await startTestNatsWithStreams();
  });
  afterAll(() => nats.stop());

  const events = () => streamMessageCount(nats.nc, STREAM.ingested);

  it('stops pulling, settles every message it pulled (none left unacknowledged), exits 0, and a restart finishes the rest well before ack_wait', async () => {
    // ack_wait far above the test's timeouts: a message left unacknowledged would stall the restart
    const env = testEnv(nats.url, { AKOSHA_BATCH_SIZE: '32', AKOSHA_ACK_WAIT_MS: '600000' });
    await publishMany(nats.js, UPLOADS, (u) =>
      upload(`drain-${u % 20}`, `d-${u}`, [record(`m-${u}`, `drain ${u}`)]),
    );
    const akosha = spawnAkosha(['start', '--roles', 'ingest,writer'], env);
    await waitFor(events, { until: (n) => n >= 100, what: 'first events', timeoutMs: 60_000 });
    akosha.kill('SIGTERM');
    await exited(akosha);
    expect(akosha.exitCode).toBe(0);
    expect(await events()).toBeLessThan(UPLOADS);

    const jsm = await jetstreamManager(nats.nc);
    for (const c of consumerDefinitions(loadConfig({}).streams)) {
      const info = await jsm.consumers.info(c.stream, c.durable_name);
      expect({ consumer: c.durable_name, unacked: info.num_ack_pending }).toEqual({
        consumer: c.durable_name,
        unacked: 0,
      });
    }

    const restarted = spawnAkosha(['start', '--roles', 'ingest,writer'], env);
    // redelivery after ack_wait (10 min) would come far too late: the restart finishes the rest
    await waitFor(events, { until: (n) => n >= UPLOADS, what: 'all events', timeoutMs: 120_000 });
    restarted.kill('SIGTERM');
    await exited(restarted);
    expect(await events()).toBe(UPLOADS);
  }, 300_000);
});
