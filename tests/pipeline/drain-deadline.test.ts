import { mkdtempSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { jetstream } from '@nats-io/jetstream';
import { connect, type NatsConnection } from '@nats-io/transport-node';
import { HASHING_MODEL } from '../../embedding/hashing-embedder';
import { loadConfig } from '../../infra/config';
import { startNatsServer, type LocalNatsServer } from '../../infra/nats-server';
import type { IngestedEvent } from '../../schemas/ingested';
import { HotStore } from '../../storage/hot-store';
import { applyTopology } from '../../streams/apply';
import { STREAM } from '../../streams/definitions';
import { testEnv } from '../helpers/pipeline';
import { exited, kill, spawnAkosha } from '../helpers/processes';
import { readStream, streamMessageCount } from '../helpers/streams';
import { publishMany, record, upload } from '../helpers/uploads';
import { waitFor } from '../helpers/wait-for';

const UPLOADS = 400;
const DRAIN_TIMEOUT_MS = 3000;
const systemOf = (u: number) => `sigterm-${u % 10}`;
const uploadOf = (u: number) =>
  upload(systemOf(u), `st-${u}`, [record(`m-${u}`, `sigterm during an outage ${u}`)]);

/** Resolves with how long the process took to exit, or rejects after `limitMs`. */
function exitWithin(child: ReturnType<typeof spawnAkosha>, limitMs: number): Promise<number> {
  const started = Date.now();
  let timer: NodeJS.Timeout | undefined;
  const limit = new Promise<never>((_, reject) => {
    timer = setTimeout(() => reject(new Error(`still running after ${limitMs} ms`)), limitMs);
  });
  return Promise.race([exited(child).then(() => Date.now() - started), limit]).finally(() =>
    clearTimeout(timer),
  );
}

describe('SIGTERM while NATS is away', () => {
  let dir: string;
  let server: LocalNatsServer;
  let nc: NatsConnection;
  beforeAll(async () => {
    dir = mkdtempSync(join(tmpdir(), 'akosha-sigterm-'));
    server = await startNatsServer({ storeDir: join(dir, 'nats') });
    nc = await connect({ servers: server.url });
    await applyTopology(nc, loadConfig({}).streams);
  });
  afterAll(async () => {
    await nc.close();
    await server.stop();
    rmSync(dir, { recursive: true, force: true });
  });

  it('exits within the drain deadline, and after a restart every acked upload is stored once', async () => {
    const env = testEnv(server.url, {
      AKOSHA_DRAIN_TIMEOUT_MS: String(DRAIN_TIMEOUT_MS),
      AKOSHA_ACK_WAIT_MS: '10000',
      AKOSHA_BATCH_SIZE: '16',
    });
    await publishMany(jetstream(nc), UPLOADS, uploadOf); // every publish is acked here
    const events = () => streamMessageCount(nc, STREAM.ingested);
    const akosha = spawnAkosha(['start', '--roles', 'ingest,writer'], env);
    await waitFor(events, { until: (n) => n >= 20, what: 'first events', timeoutMs: 60_000 });

    // the server goes away mid-ingest; SIGTERM arrives while the client reconnects
    await nc.close();
    await kill(server.process, 'SIGKILL');
    akosha.kill('SIGTERM');
    const exitMs = await exitWithin(akosha, DRAIN_TIMEOUT_MS + 20_000);
    expect(akosha.exitCode).toBe(0);
    // the deadline, plus the forced close and the process exit on a busy machine
    expect(exitMs).toBeLessThan(DRAIN_TIMEOUT_MS + 12_000);

    const port = Number(new URL(server.url.replace(/^nats:/, 'http:')).port);
    server = await startNatsServer({ storeDir: join(dir, 'nats'), port });
    nc = await connect({ servers: server.url });
    // with NATS up, a stop drains in full (the default deadline leaves it the time)
    const restarted = spawnAkosha(['start', '--roles', 'ingest,writer'], {
      ...env,
      AKOSHA_DRAIN_TIMEOUT_MS: '30000',
    });
    await waitFor(events, { until: (n) => n >= UPLOADS, what: 'all events', timeoutMs: 120_000 });
    await kill(restarted, 'SIGTERM');
    expect(restarted.exitCode).toBe(0);

    const published = await readStream<IngestedEvent>(nc, jetstream(nc), STREAM.ingested);
    expect(new Set(published.map((e) => e.data.upload_id)).size).toBe(UPLOADS);
    expect(published).toHaveLength(UPLOADS);
    const store = await HotStore.open(`${env.AKOSHA_DATA_DIR}/hot`, {
      concurrency: 1,
      model: HASHING_MODEL,
    });
    const keys = (await Promise.all(store.shards.map((s) => store.keys(s)))).flat();
    await store.close();
    const expected = Array.from({ length: UPLOADS }, (_, u) => `${systemOf(u)}/m-${u}`);
    expect(keys.sort()).toEqual(expected.sort());
  }, 240_000);
});
