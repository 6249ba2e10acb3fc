import type { ChildProcess } from 'node:child_process';
import { mkdtempSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { Kvm } from '@nats-io/kv';
import type { Pipeline } from '../../app/pipeline';
import { CloudStateStore } from '../../cloud/state-store';
import { manifestKey } from '../../cloud/types';
import { WATCHER_LEASE_BUCKET, WatcherLease } from '../../cloud/watcher-lease';
import type { UploadMessage } from '../../schemas/upload';
import { STREAM } from '../../streams/definitions';
import { createSessionBuddyFile, type SessionBuddyFixture } from '../fixtures/session-buddy';
import { startTestNatsWithStreams, type TestNats } from '../helpers/nats';
import { startTestPipeline, testConfig, testEnv } from '../helpers/pipeline';
import { kill, spawnAkosha } from '../helpers/processes';
import { startTestS3, type TestS3 } from '../helpers/s3';
import { putSessionBuddyUpload } from '../helpers/session-buddy-bucket';
import { readStream, streamMessageCount } from '../helpers/streams';
import { makeTestCa, type TestCa } from '../helpers/tls';
import { waitFor } from '../helpers/wait-for';

const BUCKET = 'sb-failover';
const LEASE_TTL_MS = 3000;
let ca: TestCa;
let s3: TestS3;
let dir: string;

beforeAll(async () => {
  // the in-process watcher's AWS SDK reads them from the environment
  process.env.AWS_ACCESS_KEY_ID = 'S3RVER';
  process.env.AWS_SECRET_ACCESS_KEY = 'S3RVER';
  dir = mkdtempSync(join(tmpdir(), 'akosha-watcher-failover-'));
  ca = makeTestCa();
  s3 = await startTestS3(BUCKET, ca);
}, 60_000);

afterAll(async () => {
  await s3?.stop();
  rmSync(dir, { recursive: true, force: true });
});

const s3Settings = () => ({
  AKOSHA_SB_BUCKET: BUCKET,
  AKOSHA_SB_S3_ENDPOINT: s3.endpoint,
  AKOSHA_SB_S3_CA: ca.cert,
  AWS_ACCESS_KEY_ID: 'S3RVER',
  AWS_SECRET_ACCESS_KEY: 'S3RVER',
});

async function putUpload(systemId: string, uploadId: string, records: number) {
  const file = await createSessionBuddyFile(join(dir, `${systemId}-${uploadId}.duckdb`), {
    conversations: records,
    reflections: 0,
  });
  await putSessionBuddyUpload(s3, {
    systemId,
    uploadId,
    files: { 'reflection.duckdb': file.path },
    gzip: true,
    sizeAndChecksum: true,
  });
  return file;
}

async function waitImported(state: CloudStateStore, systemId: string, uploadId: string) {
  return waitFor(() => state.upload(systemId, uploadId), {
    until: (s) => s?.state === 'imported',
    timeoutMs: 120_000,
    what: `${systemId}/${uploadId} imported`,
  });
}

/** A `akosha cloud-watch` process and the log lines it wrote. */
class WatcherProcess {
  readonly child: ChildProcess;
  private out = '';
  private err = '';

  constructor(env: Record<string, string>) {
    this.child = spawnAkosha(['cloud-watch'], env);
    this.child.stdout?.on('data', (d: Buffer) => (this.out += d.toString()));
    this.child.stderr?.on(
      'data',
      (d: Buffer) => (this.err = (this.err + d.toString()).slice(-2000)),
    );
  }

  /** Its exit state and last output, for a failure message. */
  describe(): string {
    const { pid, exitCode, signalCode } = this.child;
    return `watcher ${pid} (exit ${exitCode}, signal ${signalCode}): ${this.out.slice(-1500)}${this.err}`;
  }

  logs(msg: string): Record<string, unknown>[] {
    return this.out
      .split('\n')
      .filter((line) => line.includes(msg))
      .map((line) => JSON.parse(line) as Record<string, unknown>)
      .filter((entry) => entry.msg === msg);
  }

  importsOf(uploadId: string): number {
    return this.logs('cloud upload imported').filter((e) => e.uploadId === uploadId).length;
  }
}

describe('two cloud watchers on one bucket', () => {
  let nats: TestNats;
  let state: CloudStateStore;
  const watchers: WatcherProcess[] = [];
  const settings = () => ({
    ...s3Settings(),
    AKOSHA_SB_POLL_S: '1',
    AKOSHA_LEASE_TTL_MS: String(LEASE_TTL_MS),
    AKOSHA_ACK_WAIT_MS: '2000',
    AKOSHA_LOG_LEVEL: 'info',
  });
  const startWatcher = () => {
    const w = new WatcherProcess(testEnv(nats.url, settings()));
    watchers.push(w);
    return w;
  };

  beforeAll(async () => {
    nats = await startTestNatsWithStreams();
    state = await CloudStateStore.open(nats.nc);
    // the lease bucket exists before the watchers start, as they would create it: nats-server
    // 2.9.10 panics on a get from a stream that another client is creating at that moment
    await WatcherLease.open(nats.nc, LEASE_TTL_MS);
  });

  afterAll(async () => {
    for (const w of watchers) if (w.child.exitCode === null) await kill(w.child, 'SIGKILL');
    await nats?.stop();
  });

  /** The pid in the lease's owner (`host:pid:nonce`), once some watcher holds it. */
  async function leaseHolderPid(): Promise<number | undefined> {
    const kv = await new Kvm(nats.nc).open(WATCHER_LEASE_BUCKET);
    const entry = await kv.get('watcher').catch(() => null);
    return entry?.operation === 'PUT' ? Number(entry.string().split(':')[1]) : undefined;
  }

  /** Records of a system in the uploads stream: how many, and how many distinct ids. */
  async function publishedRecords(systemId: string) {
    const messages = await readStream<UploadMessage>(nats.nc, nats.js, STREAM.uploads);
    const ids = messages
      .filter((m) => m.data.system_id === systemId)
      .flatMap((m) => m.data.records.map((r) => r.id));
    return { total: ids.length, distinct: new Set(ids).size };
  }

  let active: WatcherProcess;
  let standby: WatcherProcess;

  it('one watcher is active; each upload is imported once, by it', async () => {
    const [a, b] = [startWatcher(), startWatcher()];
    const holder = await waitFor(leaseHolderPid, {
      until: (pid) => pid === a.child.pid || pid === b.child.pid,
      timeoutMs: 60_000,
      what: 'a watcher holds the lease',
    }).catch((err: Error) => {
      throw new Error(`${err.message}\n${a.describe()}\n${b.describe()}`);
    });
    [active, standby] = holder === a.child.pid ? [a, b] : [b, a];
    const uploads = [
      { systemId: 'desk-1', uploadId: '20250301_100000_desk-1', records: 4 },
      { systemId: 'desk-1', uploadId: '20250301_110000_desk-1', records: 6 },
      { systemId: 'desk-2', uploadId: '20250301_100000_desk-2', records: 5 },
    ];
    const files: SessionBuddyFixture[] = [];
    for (const u of uploads) files.push(await putUpload(u.systemId, u.uploadId, u.records));
    for (const u of uploads) await waitImported(state, u.systemId, u.uploadId);

    // the state is written before the log line: wait for the line
    for (const u of uploads)
      await waitFor(() => active.importsOf(u.uploadId) + standby.importsOf(u.uploadId), {
        what: `the import of ${u.uploadId} logged`,
      });
    for (const u of uploads) {
      expect(active.importsOf(u.uploadId)).toBe(1);
      expect(standby.importsOf(u.uploadId)).toBe(0);
    }
    expect(standby.logs('cloud watcher active')).toHaveLength(0);
    // fixture ids repeat per file: the second desk-1 upload holds the first one's records
    const idsOf = (...fs: typeof files) => new Set(fs.flatMap((f) => f.records.map((r) => r.id)));
    const desk1 = idsOf(files[0]!, files[1]!).size;
    const desk2 = idsOf(files[2]!).size;
    expect(await publishedRecords('desk-1')).toEqual({ total: desk1, distinct: desk1 });
    expect(await publishedRecords('desk-2')).toEqual({ total: desk2, distinct: desk2 });
  }, 180_000);

  it('the active watcher killed mid-import: the other takes over, the upload is imported once', async () => {
    const systemId = 'desk-3';
    const uploadId = '20250301_120000_desk-3';
    const published = await streamMessageCount(nats.nc, STREAM.uploads);
    const file = await putUpload(systemId, uploadId, 12_000);
    // the first of twelve 1,000-record batches is published: the import is under way
    await waitFor(() => streamMessageCount(nats.nc, STREAM.uploads), {
      until: (n) => n > published,
      timeoutMs: 60_000,
      what: 'the import publishes',
    });
    await kill(active.child, 'SIGKILL');
    expect(await state.upload(systemId, uploadId)).toBeUndefined();
    const restarted = startWatcher();

    await waitImported(state, systemId, uploadId);
    const imports = () => standby.importsOf(uploadId) + restarted.importsOf(uploadId);
    await waitFor(imports, { what: 'the import logged' });
    expect(imports()).toBe(1);
    expect(await publishedRecords(systemId)).toEqual({
      total: file.records.length,
      distinct: file.records.length,
    });
  }, 240_000);
});

describe('bucket events', () => {
  let nats: TestNats;
  let pipeline: Pipeline;
  let state: CloudStateStore;

  beforeAll(async () => {
    nats = await startTestNatsWithStreams();
    // an hour between polls: within this test, only an event can bring an upload in
    const config = testConfig(nats.url, { ...s3Settings(), AKOSHA_SB_POLL_S: '3600' });
    pipeline = await startTestPipeline(config, ['cloud']);
    state = await CloudStateStore.open(nats.nc);
  }, 60_000);

  afterAll(async () => {
    await pipeline?.close();
    await nats?.stop();
  });

  it('a manifest event brings an upload in long before the next poll', async () => {
    await waitFor(() => pipeline.readiness().cloud?.last_poll_at, { what: 'the first poll' });
    const seenBy = async (via: string) =>
      (await pipeline.metrics.cloudUploadsSeen.get()).values.find((v) => v.labels.via === via)
        ?.value ?? 0;
    const polled = await seenBy('poll');
    const systemId = 'desk-9';
    const uploadId = '20250302_090000_desk-9';
    const file = await putUpload(systemId, uploadId, 3);
    const record = {
      eventName: 's3:ObjectCreated:Put',
      s3: {
        bucket: { name: BUCKET },
        object: { key: encodeURIComponent(manifestKey(systemId, uploadId)) },
      },
    };
    nats.nc.publish('akosha.cloud.s3events', JSON.stringify({ Records: [record] }));

    const done = await waitImported(state, systemId, uploadId);
    expect(done?.records).toBe(file.records.length);
    expect(await seenBy('event')).toBe(1);
    expect(await seenBy('poll')).toBe(polled);
  }, 120_000);
});
