import type { ChildProcess } from 'node:child_process';
import { jetstreamManager } from '@nats-io/jetstream';
import { writerLeases, type LeaseStatus } from '../../streams/lease-status';
import type { Pipeline } from '../../app/pipeline';
import { HASHING_MODEL } from '../../embedding/hashing-embedder';
import { publishUpload } from '../../producers/publish-upload';
import type { IngestedEvent } from '../../schemas/ingested';
import { shardDbName } from '../../storage/hot-schema';
import { HotStore } from '../../storage/hot-store';
import { STREAM } from '../../streams/definitions';
import { startTestNats, type TestNats } from '../helpers/nats';
import { startTestPipeline, testConfig, testEnv } from '../helpers/pipeline';
import { exited, kill, spawnAkosha } from '../helpers/processes';
import { readStream, streamMessageCount } from '../helpers/streams';
import { record, upload } from '../helpers/uploads';
import { waitFor } from '../helpers/wait-for';

const GROUPS = 4;
const TTL_MS = 6000;
const SETTINGS = {
  AKOSHA_SHARD_GROUPS: String(GROUPS),
  AKOSHA_LEASE_TTL_MS: String(TTL_MS),
  AKOSHA_ACK_WAIT_MS: '5000',
  AKOSHA_BATCH_SIZE: '16',
};

/** Publishes one small upload every `everyMs` until stopped; keeps the ids the broker acked. */
function startPublisher(nats: TestNats, everyMs: number) {
  const acked: string[] = [];
  let running = true;
  const done = (async () => {
    for (let i = 0; running; i++) {
      const id = `fence-${i}`;
      const message = upload(`fence-sys-${i % 12}`, id, [record(`r-${i}`, `fencing ${i}`)]);
      await publishUpload(nats.js, message, { maxPayloadBytes: 1 << 20 });
      acked.push(id);
      await new Promise((r) => setTimeout(r, everyMs));
    }
  })();
  return {
    acked,
    stop: async () => {
      running = false;
      await done;
    },
  };
}

/** upload id → recorded_at (ms) of its first chunk, for every upload a data directory holds. */
async function uploadsIn(dataDir: string): Promise<Map<string, number>> {
  const store = await HotStore.open(`${dataDir}/hot`, { concurrency: 1, model: HASHING_MODEL });
  const conn = await store.connect();
  const out = new Map<string, number>();
  try {
    for (const shard of store.shards) {
      const reader = await conn.runAndReadAll(
        `SELECT upload_id, min(epoch_ms(recorded_at))::DOUBLE AS at
           FROM ${shardDbName(shard)}.upload_chunks GROUP BY upload_id`,
      );
      for (const [id, at] of reader.getRows() as [string, number][]) out.set(id, at);
    }
  } finally {
    conn.closeSync();
    await store.close();
  }
  return out;
}

describe('writer lease fencing: a writer paused past its lease', () => {
  let nats: TestNats;
  let ingest: Pipeline;
  const children: ChildProcess[] = [];
  let publisher: ReturnType<typeof startPublisher> | undefined;
  beforeAll(async () => {
    nats = await startTestNats();
    ingest = await startTestPipeline(testConfig(nats.url, SETTINGS), ['ingest']);
  });
  afterAll(async () => {
    await publisher?.stop().catch(() => undefined);
    for (const child of children) if (child.exitCode === null) await kill(child, 'SIGKILL');
    await ingest.close();
    await nats.stop();
  });

  const leases = async (): Promise<LeaseStatus[]> =>
    writerLeases(nats.js, await jetstreamManager(nats.nc));
  const ownedBy = (dataDir: string) => async () =>
    (await leases()).filter((l) => l.owner.endsWith(`${dataDir}/hot`)).length === GROUPS;

  it('stops writing and acking before another writer can own its groups, then exits', async () => {
    const envA = testEnv(nats.url, SETTINGS);
    const envB = testEnv(nats.url, SETTINGS);
    const writerA = spawnAkosha(['writer'], envA);
    children.push(writerA);
    await waitFor(ownedBy(envA.AKOSHA_DATA_DIR!), {
      what: 'A owns every group',
      timeoutMs: 60_000,
    });
    publisher = startPublisher(nats, 20);
    await waitFor(() => streamMessageCount(nats.nc, STREAM.ingested), {
      until: (n) => n >= 50,
      what: 'A writes',
      timeoutMs: 60_000,
    });

    const pausedAt = Date.now();
    writerA.kill('SIGSTOP');
    await waitFor(async () => (await leases()).length === 0, {
      what: "A's leases lapse",
      timeoutMs: TTL_MS * 5,
    });
    const lapsedAt = Date.now();
    const writerB = spawnAkosha(['writer'], envB);
    children.push(writerB);
    await waitFor(ownedBy(envB.AKOSHA_DATA_DIR!), {
      what: 'B owns every group',
      timeoutMs: 60_000,
    });

    writerA.kill('SIGCONT');
    await waitFor(() => writerA.exitCode, {
      until: (code) => code !== null,
      what: 'A exits',
      timeoutMs: 30_000,
    });
    expect(writerA.exitCode).toBe(1);
    expect(await ownedBy(envB.AKOSHA_DATA_DIR!)()).toBe(true); // A's renewals did not take it back

    await new Promise((r) => setTimeout(r, 2000)); // more uploads, for B alone
    await publisher.stop();
    const acked = publisher.acked;
    await waitFor(() => streamMessageCount(nats.nc, STREAM.ingested), {
      until: (n) => n >= acked.length,
      what: 'every acked upload announced',
      timeoutMs: 120_000,
    });
    await kill(writerB, 'SIGTERM');
    await exited(writerB);

    const inA = await uploadsIn(envA.AKOSHA_DATA_DIR!);
    const inB = await uploadsIn(envB.AKOSHA_DATA_DIR!);
    // nothing lost: every acked upload is in one of the two directories
    expect(acked.filter((id) => !inA.has(id) && !inB.has(id))).toEqual([]);
    // A wrote nothing once its lease could have lapsed (let alone after B's claim)
    const lateInA = [...inA].filter(([, at]) => at >= lapsedAt);
    expect(lateInA).toEqual([]);
    // an upload in both was written by A before the pause and not acked: B got it again
    const inBoth = [...inA.keys()].filter((id) => inB.has(id));
    expect(inBoth.filter((id) => inA.get(id)! > pausedAt)).toEqual([]);
    expect(inB.size).toBeGreaterThan(0);
    // one ingest-complete event per acked upload
    const events = await readStream<IngestedEvent>(nats.nc, nats.js, STREAM.ingested);
    expect(events.map((e) => e.data.upload_id).sort()).toEqual([...acked].sort());
    console.log(
      `fencing: ${acked.length} uploads acked; A holds ${inA.size}, B ${inB.size}, both ${inBoth.length}`,
    );
  }, 300_000);
});
