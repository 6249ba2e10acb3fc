import { rmSync } from 'node:fs';
import { join } from 'node:path';
import { jetstream, type JetStreamClient } from '@nats-io/jetstream';
import { connect, type NatsConnection } from '@nats-io/transport-node';
import { HASHING_MODEL } from '../../embedding/hashing-embedder';
import { loadConfig } from '../../infra/config';
import { startNatsServer, type LocalNatsServer } from '../../infra/nats-server';
import type { IngestedEvent } from '../../schemas/ingested';
import { shardOf } from '../../schemas/ids';
import { HotStore } from '../../storage/hot-store';
import { applyTopology } from '../../streams/apply';
import { STREAM } from '../../streams/definitions';
import { subjects } from '../../streams/subjects';
import { testEnv } from '../helpers/pipeline';
import { fillDisk, mountSmallDisk, unmountSmallDisk } from '../helpers/small-disk';
import { kill, spawnAkosha } from '../helpers/processes';
import { readStream, streamMessageCount } from '../helpers/streams';
import { record, upload } from '../helpers/uploads';
import { waitFor } from '../helpers/wait-for';

/** uploads before the disk fills; after it, as many as it takes to be refused */
const BEFORE_FULL = 60;
const MAX_UPLOADS = 2000;
const systemOf = (u: number) => `nats-full-${u % 7}`;
const text = (u: number) => `memory ${u} `.repeat(400); // ~4.8 KB a record

/** One upload; true when the broker acked it (the producer retries the others). */
async function publish(js: JetStreamClient, u: number): Promise<boolean> {
  const message = upload(systemOf(u), `full-${u}`, [record(`r${u}`, text(u))]);
  const subject = subjects.upload(shardOf(systemOf(u)), systemOf(u));
  try {
    await js.publish(subject, JSON.stringify(message), { msgID: `full-${u}`, timeout: 1500 });
    return true;
  } catch {
    return false;
  }
}

describe('a full disk under the JetStream store', () => {
  let disk: string;
  let server: LocalNatsServer;
  let nc: NatsConnection;
  beforeAll(async () => {
    disk = mountSmallDisk(64);
    server = await startNatsServer({ storeDir: join(disk, 'nats') });
    nc = await connect({ servers: server.url, maxReconnectAttempts: -1 });
    await applyTopology(nc, loadConfig({}).streams);
  });
  afterAll(async () => {
    await nc.close();
    await kill(server.process, 'SIGKILL');
    unmountSmallDisk(disk);
  });

  it('acks nothing it cannot keep; after space is freed and a restart, every acked upload is stored and announced once', async () => {
    const env = testEnv(server.url, { AKOSHA_ACK_WAIT_MS: '5000' });
    let akosha = spawnAkosha(['start', '--roles', 'ingest,writer'], env);
    const acked = new Set<number>();
    for (let u = 0; u < BEFORE_FULL; u++) if (await publish(jetstream(nc), u)) acked.add(u);
    await waitFor(() => streamMessageCount(nc, STREAM.ingested), {
      until: (n) => n >= 10,
      what: 'first events',
      timeoutMs: 60_000,
    });

    // the writers free space as they drain the work queue, so publish until the store refuses
    const filler = fillDisk(disk, 256 * 1024);
    const refused: number[] = [];
    let total = BEFORE_FULL;
    for (; total < MAX_UPLOADS && refused.length < 3; total++)
      if (await publish(jetstream(nc), total)) acked.add(total);
      else refused.push(total);
    expect(refused.length).toBeGreaterThan(0); // the store did fill up

    // the operator frees space and restarts the wedged nats-server (it no longer stops
    // on SIGTERM); the producer retries what got no ack
    rmSync(filler);
    const port = Number(new URL(server.url.replace(/^nats:/, 'http:')).port);
    await kill(server.process, 'SIGKILL');
    server = await startNatsServer({ storeDir: join(disk, 'nats'), port });
    await kill(akosha, 'SIGKILL');
    akosha = spawnAkosha(['start', '--roles', 'ingest,writer'], env);
    const js = jetstream(nc);
    await waitFor(() => publish(js, refused[0]!), { timeoutMs: 60_000, what: 'JetStream back' });
    for (const u of refused) if (await publish(js, u)) acked.add(u);
    expect(acked.size).toBe(total);

    await waitFor(() => streamMessageCount(nc, STREAM.ingested), {
      until: (n) => n >= total,
      what: 'every upload announced',
      timeoutMs: 120_000,
    });
    await kill(akosha, 'SIGTERM');
    const events = await readStream<IngestedEvent>(nc, jetstream(nc), STREAM.ingested);
    expect(events).toHaveLength(total);
    expect(new Set(events.map((e) => e.data.upload_id)).size).toBe(total);
    expect(await streamMessageCount(nc, STREAM.deadLetters)).toBe(0);
    const store = await HotStore.open(`${env.AKOSHA_DATA_DIR}/hot`, {
      concurrency: 1,
      model: HASHING_MODEL,
    });
    const keys = (await Promise.all(store.shards.map((s) => store.keys(s)))).flat();
    await store.close();
    const expected = Array.from({ length: total }, (_, u) => `${systemOf(u)}/r${u}`);
    expect(keys.sort()).toEqual(expected.sort());
  }, 300_000);
});
