import { mkdtempSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { DeleteObjectCommand } from '@aws-sdk/client-s3';
import { jetstreamManager } from '@nats-io/jetstream';
import type { Pipeline } from '../../app/pipeline';
import { CloudStateStore } from '../../cloud/state-store';
import { manifestKey, uploadPrefix } from '../../cloud/types';
import { DeadLetterOps } from '../../operations/dead-letters';
import { entityId } from '../../schemas/graph';
import { STREAM } from '../../streams/definitions';
import { createSessionBuddyFile } from '../fixtures/session-buddy';
import { createKnowledgeGraphFile } from '../fixtures/session-buddy-graph';
import { startTestNatsWithStreams, type TestNats } from '../helpers/nats';
import { startTestPipeline, testConfig, testEnv } from '../helpers/pipeline';
import { runAkosha } from '../helpers/processes';
import { startTestS3, type TestS3 } from '../helpers/s3';
import { putBody, putSessionBuddyUpload } from '../helpers/session-buddy-bucket';
import { makeTestCa, type TestCa } from '../helpers/tls';
import { waitFor } from '../helpers/wait-for';

const BUCKET = 'sb-uploads';
let nats: TestNats;
let s3: TestS3;
let ca: TestCa;
let dir: string;
let pipeline: Pipeline;
let state: CloudStateStore;
let env: Record<string, string>;

beforeAll(async () => {
  process.env.AWS_ACCESS_KEY_ID = 'S3RVER';
  process.env.AWS_SECRET_ACCESS_KEY = 'S3RVER';
  dir = mkdtempSync(join(tmpdir(), 'akosha-watcher-'));
  ca = makeTestCa();
  s3 = await startTestS3(BUCKET, ca);
  nats = await startTestNatsWithStreams();
  env = testEnv(nats.url, {
    AKOSHA_SB_BUCKET: BUCKET,
    AKOSHA_SB_S3_ENDPOINT: s3.endpoint,
    AKOSHA_SB_S3_CA: ca.cert,
    AKOSHA_SB_POLL_S: '1',
    AWS_ACCESS_KEY_ID: 'S3RVER',
    AWS_SECRET_ACCESS_KEY: 'S3RVER',
  });
  pipeline = await startTestPipeline(testConfig(nats.url, env));
  state = await CloudStateStore.open(nats.nc);
}, 60_000);

afterAll(async () => {
  await pipeline?.close();
  await nats?.stop();
  await s3?.stop();
  rmSync(dir, { recursive: true, force: true });
});

const stateOf = (systemId: string, uploadId: string) => state.upload(systemId, uploadId);
const importedCount = async () =>
  (await pipeline.metrics.cloudUploadsImported.get()).values[0]?.value ?? 0;

async function waitImported(systemId: string, uploadId: string) {
  const s = await waitFor(() => stateOf(systemId, uploadId), {
    until: (s) => s?.state === 'imported',
    timeoutMs: 60_000,
    what: `${systemId}/${uploadId} imported`,
  });
  return s!;
}

async function streamMessages(stream: string): Promise<number> {
  const jsm = await jetstreamManager(nats.nc);
  return (await jsm.streams.info(stream)).state.messages;
}

async function cloudLetters() {
  const ops = await DeadLetterOps.create(nats.nc, 8 * 1024 * 1024);
  return (await ops.list({ stage: 'cloud' })).letters;
}

test('gzip and plain uploads are imported: records searchable, entities and relations queryable', async () => {
  const plain = await createSessionBuddyFile(join(dir, 'plain.duckdb'), {
    conversations: 5,
    reflections: 3,
  });
  const zipped = await createSessionBuddyFile(join(dir, 'zipped.duckdb'), {
    v2: true,
    conversations: 4,
    reflections: 2,
  });
  const graph = await createKnowledgeGraphFile(join(dir, 'kg.duckdb'), {
    entities: 4,
    relations: 3,
  });
  await putSessionBuddyUpload(s3, {
    systemId: 'laptop-a',
    uploadId: '20250101_100000_laptop-a',
    files: { 'reflection.duckdb': plain.path },
    gzip: false,
    sizeAndChecksum: false,
  });
  await putSessionBuddyUpload(s3, {
    systemId: 'laptop-b',
    uploadId: '20250101_100000_laptop-b',
    files: { 'reflection.duckdb': zipped.path, 'knowledge_graph.duckdb': graph.path },
    gzip: true,
    sizeAndChecksum: true,
  });
  const a = await waitImported('laptop-a', '20250101_100000_laptop-a');
  const b = await waitImported('laptop-b', '20250101_100000_laptop-b');
  expect(a.records).toBe(plain.records.length);
  expect(b.records).toBe(zipped.records.length);
  expect(b.entities).toBe(graph.entities.length);
  expect(b.relations).toBe(graph.relations.length);
  const expected = plain.records.length + zipped.records.length;
  await waitFor(() => pipeline.store!.count(), {
    until: (n) => n === expected,
    timeoutMs: 60_000,
    what: 'records stored',
  });
  expect(await streamMessages(STREAM.graph)).toBeGreaterThan(0);
  expect(pipeline.readiness().cloud).toMatchObject({ state: 'active' });

  // searchable over HTTP
  const wanted = zipped.records[0]!;
  const res = await fetch(`${pipeline.httpAddress}/api/v1/search`, {
    method: 'POST',
    headers: { 'content-type': 'application/json' },
    body: JSON.stringify({ query: wanted.content, system_id: 'laptop-b', limit: 5 }),
  });
  const { results } = (await res.json()) as { results: { id: string }[] };
  expect(results.map((r) => r.id)).toContain(wanted.id);
  // entities and relations queryable, as laptop-b stated them
  const stats = await waitFor(() => pipeline.graph!.statistics('*'), {
    until: (s) => s.systems['laptop-b']?.total_edges === graph.relations.length,
    timeoutMs: 60_000,
    what: "laptop-b's relations in the graph",
  });
  expect(stats.systems['laptop-b']?.total_entities).toBe(graph.entities.length);
  const from = graph.relations[0]!.from;
  const neighbors = await pipeline.graph!.neighbors(entityId(from.entity_type!, from.name), {
    limit: 50,
    scope: '*',
  });
  expect(neighbors.total_neighbors).toBeGreaterThan(0);
}, 120_000);

test('an upload found again by poll and by event is imported once', async () => {
  const before = await importedCount();
  const uploads = await streamMessages(STREAM.uploads);
  const systemId = 'laptop-a';
  const uploadId = '20250101_100000_laptop-a';
  const event = {
    EventName: 's3:ObjectCreated:Put',
    Records: [
      {
        eventName: 's3:ObjectCreated:Put',
        s3: {
          bucket: { name: BUCKET },
          object: { key: encodeURIComponent(manifestKey(systemId, uploadId)) },
        },
      },
    ],
  };
  nats.nc.publish('akosha.cloud.s3events', JSON.stringify(event));
  await nats.nc.flush();
  const seen = () => pipeline.metrics.cloudUploadsSeen.get();
  // two more polls have passed: the poller looked at the bucket again
  const pollAfter = (previous: string | undefined) =>
    waitFor(() => pipeline.readiness().cloud?.last_poll_at, {
      until: (t) => t !== undefined && t !== previous,
      what: 'the next poll',
    });
  await pollAfter(await pollAfter(pipeline.readiness().cloud?.last_poll_at));
  await waitFor(async () => (await streamMessages(STREAM.cloud)) === 0, {
    what: 'cloud queue empty',
  });
  expect(await importedCount()).toBe(before);
  expect(await streamMessages(STREAM.uploads)).toBe(uploads);
  expect((await seen()).values.length).toBeGreaterThan(0);
}, 60_000);

test('bad uploads are dead-lettered with their code and key; a good one after them is imported', async () => {
  const good = await createSessionBuddyFile(join(dir, 'good.duckdb'), {
    conversations: 2,
    reflections: 1,
  });
  const sys = 'laptop-c';
  await putBody(s3, manifestKey(sys, '20250102_000000_laptop-c'), 'not json {');
  await putSessionBuddyUpload(s3, {
    systemId: sys,
    uploadId: '20250102_000001_laptop-c',
    files: { 'reflection.duckdb': good.path },
    gzip: true,
    sizeAndChecksum: false,
    manifestOverrides: { system_id: 'someone-else' },
  });
  await putBody(s3, `${uploadPrefix(sys, '20250102_000002_laptop-c')}reflection.duckdb`, 'xx');
  await putBody(s3, manifestKey(sys, '20250102_000002_laptop-c'), JSON.stringify({}));
  await putSessionBuddyUpload(s3, {
    systemId: sys,
    uploadId: '20250102_000009_laptop-c',
    files: { 'reflection.duckdb': good.path },
    gzip: false,
    sizeAndChecksum: true,
  });
  await waitImported(sys, '20250102_000009_laptop-c');
  const letters = await waitFor(cloudLetters, { until: (l) => l.length >= 3, timeoutMs: 60_000 });
  const byUpload = new Map(letters.map((l) => [l.letter.upload_id, l.letter]));
  expect(byUpload.get('20250102_000000_laptop-c')).toMatchObject({
    stage: 'cloud',
    code: 'CLOUD_MANIFEST_INVALID',
  });
  expect(byUpload.get('20250102_000001_laptop-c')?.code).toBe('CLOUD_PATH_MISMATCH');
  for (const id of ['20250102_000000_laptop-c', '20250102_000001_laptop-c'])
    expect(byUpload.get(id)?.reason).toContain(uploadPrefix(sys, id));
  expect(await stateOf(sys, '20250102_000000_laptop-c')).toMatchObject({
    state: 'failed',
    code: 'CLOUD_MANIFEST_INVALID',
  });
}, 120_000);

test('akosha dlq requeue of a fixed failure imports the upload', async () => {
  const file = await createSessionBuddyFile(join(dir, 'fix.duckdb'), {
    conversations: 3,
    reflections: 0,
  });
  const sys = 'laptop-d';
  const uploadId = '20250103_000000_laptop-d';
  const put = await putSessionBuddyUpload(s3, {
    systemId: sys,
    uploadId,
    files: { 'reflection.duckdb': file.path },
    gzip: true,
    sizeAndChecksum: false,
  });
  // the file is gone when the watcher looks: CLOUD_FILE_MISSING
  await s3.client.send(
    new DeleteObjectCommand({ Bucket: BUCKET, Key: put.keys['reflection.duckdb'] }),
  );
  await waitFor(() => stateOf(sys, uploadId), {
    until: (s) => s?.state === 'failed',
    timeoutMs: 60_000,
  });
  const letter = (await cloudLetters()).find((l) => l.letter.upload_id === uploadId)!;
  expect(letter.letter.code).toBe('CLOUD_FILE_MISSING');
  await putSessionBuddyUpload(s3, {
    systemId: sys,
    uploadId,
    files: { 'reflection.duckdb': file.path },
    gzip: true,
    sizeAndChecksum: false,
  });
  const requeued = await runAkosha(['dlq', 'requeue', String(letter.seq)], env);
  expect(requeued.code).toBe(0);
  const done = await waitImported(sys, uploadId);
  expect(done.records).toBe(file.records.length);
}, 120_000);

test('a whole-database re-upload under a new upload id publishes only what is new', async () => {
  const again = await createSessionBuddyFile(join(dir, 'again.duckdb'), {
    conversations: 5,
    reflections: 3,
  });
  const uploads = await streamMessages(STREAM.uploads);
  await putSessionBuddyUpload(s3, {
    systemId: 'laptop-a',
    uploadId: '20250101_110000_laptop-a',
    files: { 'reflection.duckdb': again.path },
    gzip: true,
    sizeAndChecksum: false,
  });
  const done = await waitImported('laptop-a', '20250101_110000_laptop-a');
  expect(done).toMatchObject({ records: 0, skipped: again.records.length });
  expect(await streamMessages(STREAM.uploads)).toBe(uploads);
}, 120_000);
