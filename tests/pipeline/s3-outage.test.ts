import { spawn, type ChildProcess } from 'node:child_process';
import { mkdtempSync, rmSync } from 'node:fs';
import { createServer } from 'node:net';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { HASHING_MODEL } from '../../embedding/hashing-embedder';
import { shardOf } from '../../schemas/ids';
import { HotStore } from '../../storage/hot-store';
import { openObjectStore, TierMover } from '../../storage/tiers';
import { STREAM } from '../../streams/definitions';
import { subjects } from '../../streams/subjects';
import { getJson } from '../helpers/http';
import { startTestNatsWithStreams, type TestNats } from '../helpers/nats';
import { testEnv } from '../helpers/pipeline';
import { exited, kill, spawnAkosha } from '../helpers/processes';
import { streamMessageCount } from '../helpers/streams';
import { publishMany, record, upload } from '../helpers/uploads';
import { waitFor } from '../helpers/wait-for';

const ROOT = join(__dirname, '..', '..');
const BUCKET = 'akosha-cold';
const SEEDED = 200;
const SHARD = shardOf('system-1');
const UPLOADS = 100;
const enc = (iso: string) => encodeURIComponent(iso);

function freePort(): Promise<number> {
  return new Promise((resolve, reject) => {
    const server = createServer().listen(0, '127.0.0.1', () => {
      const { port } = server.address() as { port: number };
      server.close(() => resolve(port));
    });
    server.once('error', reject);
  });
}

/** s3rver as its own process on a fixed port and directory, so it can be stopped and restarted. */
async function startS3rver(dir: string, port: number): Promise<ChildProcess> {
  const script = `new (require('s3rver'))({ address: '127.0.0.1', port: ${port}, silent: true,
    directory: ${JSON.stringify(dir)}, configureBuckets: [{ name: '${BUCKET}' }] })
    .run().then(() => console.log('ready'));`;
  const child = spawn(process.execPath, ['-e', script], { stdio: ['ignore', 'pipe', 'inherit'] });
  await new Promise<void>((resolve, reject) => {
    child.stdout!.once('data', () => resolve());
    child.once('exit', (code) => reject(new Error(`s3rver exited early (${code})`)));
  });
  return child;
}

/** The tier-move child of the mover tests: seeds hot, moves to warm, dies mid warm→cold. */
function interruptMoveToS3(dataDir: string, endpoint: string): Promise<NodeJS.Signals | null> {
  const ops = [
    `seed:${SEEDED}:system-1`,
    `hot-warm:${SHARD}:${enc('2026-01-04T00:00:00Z')}`,
    `warm-cold:${SHARD}:${enc('2026-01-03T00:00:00Z')}`,
  ];
  const child = spawn(
    process.execPath,
    ['-e', "require('tsx/cjs'); require('./tests/storage/tiers/mover-child.ts')"],
    {
      cwd: ROOT,
      stdio: 'inherit',
      env: {
        ...process.env,
        AKOSHA_TEST_DIR: dataDir,
        AKOSHA_TEST_S3_ENDPOINT: endpoint,
        AKOSHA_TEST_S3_BUCKET: BUCKET,
        AKOSHA_TEST_OP: ops.join(','),
        AKOSHA_TEST_CRASH_AT: 'warm-cold:after-copy',
      },
    },
  );
  return exited(child).then(() => child.signalCode);
}

interface Ready {
  ready: boolean;
  tierRecoveryPending?: number[];
}

describe('S3 down while a writer starts with an interrupted move to cold', () => {
  let nats: TestNats;
  let s3dir: string;
  beforeAll(async () => {
    nats = await startTestNatsWithStreams();
    s3dir = mkdtempSync(join(tmpdir(), 'akosha-s3-outage-'));
  });
  afterAll(async () => {
    await nats.stop();
    rmSync(s3dir, { recursive: true, force: true });
  });

  it('ingests meanwhile, reports the pending shard, and finishes the move once S3 is back', async () => {
    const s3port = await freePort();
    const endpoint = `http://127.0.0.1:${s3port}`;
    let s3 = await startS3rver(s3dir, s3port);
    const httpPort = await freePort();
    const env = testEnv(nats.url, {
      AKOSHA_HTTP_PORT: String(httpPort),
      AKOSHA_COLD_S3_BUCKET: BUCKET,
      AKOSHA_COLD_S3_ENDPOINT: endpoint,
      AWS_ACCESS_KEY_ID: 'S3RVER',
      AWS_SECRET_ACCESS_KEY: 'S3RVER',
      AKOSHA_TIER_RECOVERY_BACKOFF_MS: '500,1000,2000',
    });
    expect(await interruptMoveToS3(env.AKOSHA_DATA_DIR!, endpoint)).toBe('SIGKILL');
    await kill(s3, 'SIGKILL');

    const akosha = spawnAkosha(['start', '--roles', 'ingest,writer,api'], env);
    const base = `http://127.0.0.1:${httpPort}`;
    const ready = () => getJson<Ready>(base, '/ready').catch(() => undefined);
    const pending = await waitFor(ready, {
      // the listener answers 503 while the stages start; S3 stays down, so the move stays pending
      until: (r) => r?.body.ready === true,
      what: 'readiness of the writer',
      timeoutMs: 60_000,
    });
    expect(pending!.body).toMatchObject({ ready: true, tierRecoveryPending: [SHARD] });
    const metrics = await (await fetch(`${base}/metrics`)).text();
    expect(metrics).toMatch(/^akosha_tier_recovery_pending_shards 1$/m);

    // ingest does not wait for S3
    await publishMany(nats.js, UPLOADS, (u) =>
      upload(`outage-${u % 7}`, `so-${u}`, [record(`m-${u}`, `while S3 is down ${u}`)]),
    );
    const events = () => streamMessageCount(nats.nc, STREAM.ingested);
    await waitFor(events, { until: (n) => n >= UPLOADS, what: 'all events', timeoutMs: 60_000 });
    expect((await ready())!.body.tierRecoveryPending).toEqual([SHARD]);

    // an aging pass does not move the pending shard's records: the move waits for recovery
    const aging = { schema_version: 1, tier: 'hot', requested_at: new Date().toISOString() };
    nats.nc.publish(subjects.aging('hot'), JSON.stringify(aging));
    const refused =
      /^akosha_migration_records_total\{[^}]*source_tier="hot"[^}]*status="error"\} [1-9]/m;
    await waitFor(async () => refused.test(await (await fetch(`${base}/metrics`)).text()), {
      what: 'the hot→warm move of the pending shard refused',
      timeoutMs: 60_000,
    });
    expect((await ready())!.body.tierRecoveryPending).toEqual([SHARD]);

    s3 = await startS3rver(s3dir, s3port);
    await waitFor(ready, {
      until: (r) => r?.body.tierRecoveryPending?.length === 0,
      what: 'recovery after S3 is back',
      timeoutMs: 60_000,
    });
    akosha.kill('SIGTERM');
    await exited(akosha);

    // keys only: no vector index (loading this i8 index, saved after moves, aborts; see CHANGELOG, Known issues)
    const hot = await HotStore.open(join(env.AKOSHA_DATA_DIR!, 'hot'), {
      concurrency: 1,
      model: HASHING_MODEL,
      index: false,
    });
    const objects = openObjectStore({
      localDir: join(env.AKOSHA_DATA_DIR!, 'cold'),
      s3: {
        bucket: BUCKET,
        endpoint,
        forcePathStyle: true,
        credentials: { accessKeyId: 'S3RVER', secretAccessKey: 'S3RVER' },
      },
    });
    const mover = await TierMover.open(hot, {
      warmDir: join(env.AKOSHA_DATA_DIR!, 'warm'),
      objects,
    });
    try {
      // nothing left to recover, and each seeded record in exactly one tier
      expect(await mover.recover()).toEqual({ completed: [], rolledBack: [] });
      const hotKeys = (await hot.keys(SHARD)).filter((k) => k.startsWith('system-1/'));
      const warmKeys = await mover.warm.keys(SHARD);
      const cold = await mover.cold.stats();
      expect(cold.records).toBeGreaterThan(0);
      expect(new Set([...hotKeys, ...warmKeys]).size).toBe(hotKeys.length + warmKeys.length);
      expect(hotKeys.length + warmKeys.length + cold.records).toBe(SEEDED);
    } finally {
      await mover.close();
      await hot.close();
      await kill(s3, 'SIGKILL');
    }
  }, 240_000);
});
