import { createReadStream, createWriteStream, mkdtempSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { pipeline } from 'node:stream/promises';
import { createGzip } from 'node:zlib';
import { DuckDBInstance } from '@duckdb/node-api';
import { jetstreamManager } from '@nats-io/jetstream';
import { loadConfig } from '../../infra/config';
import { importSessionBuddy, IMPORT_UPLOADER } from '../../producers/import-session-buddy';
import { countSessionBuddyRecords, readSessionBuddyFile } from '../../producers/session-buddy';
import { shardOf, UPLOAD_ID_PATTERN } from '../../schemas/ids';
import type { MemoryRecord } from '../../schemas/record';
import type { UploadMessage } from '../../schemas/upload';
import { applyTopology } from '../../streams/apply';
import { STREAM } from '../../streams/definitions';
import { subjects } from '../../streams/subjects';
import { createSessionBuddyFile, type SessionBuddyFixture } from '../fixtures/session-buddy';
import { startTestNats, type TestNats } from '../helpers/nats';

let nats: TestNats;
let dir: string;

beforeAll(async () => {
  nats = await startTestNats();
  await applyTopology(nats.nc, loadConfig({}).streams);
  dir = mkdtempSync(join(tmpdir(), 'akosha-sb-import-'));
});

afterAll(async () => {
  await nats?.stop();
  rmSync(dir, { recursive: true, force: true });
});

const MAX_PAYLOAD = 8 * 1024 * 1024;

/** Every upload stored for a system, read back with an ordered consumer until the stream has no more. */
async function storedUploads(systemId: string): Promise<UploadMessage[]> {
  const subject = subjects.upload(shardOf(systemId), systemId);
  const jsm = await jetstreamManager(nats.nc);
  const info = await jsm.streams.info(STREAM.uploads, { subjects_filter: subject });
  const expected = info.state.subjects?.[subject] ?? 0;
  const consumer = await nats.js.consumers.get(STREAM.uploads, { filter_subjects: subject });
  const uploads: UploadMessage[] = [];
  while (uploads.length < expected) {
    const msg = await consumer.next({ expires: 5000 });
    if (!msg)
      throw new Error(`stream returned ${uploads.length} of ${expected} messages on ${subject}`);
    uploads.push(msg.json<UploadMessage>());
  }
  return uploads;
}

async function streamLastSeq(): Promise<number> {
  const jsm = await jetstreamManager(nats.nc);
  return (await jsm.streams.info(STREAM.uploads)).state.last_seq;
}

/** The stream holds exactly the fixture's records, each once, field for field. */
async function expectStreamHolds(
  systemId: string,
  fixture: SessionBuddyFixture,
): Promise<UploadMessage[]> {
  const uploads = await storedUploads(systemId);
  const records = uploads.flatMap((u) => u.records as MemoryRecord[]);
  const byId = new Map(records.map((r) => [r.id, r]));
  expect(records).toHaveLength(fixture.records.length);
  expect(byId.size).toBe(records.length);
  for (const expected of fixture.records) expect(byId.get(expected.id)).toEqual(expected);
  for (const upload of uploads) {
    expect(upload.upload_id).toMatch(UPLOAD_ID_PATTERN);
    expect(upload.system_id).toBe(systemId);
    expect(upload.source).toEqual({ uploader: IMPORT_UPLOADER, version: expect.any(String) });
  }
  return uploads;
}

test('a legacy file imports completely, embeddings included', async () => {
  const fixture = await createSessionBuddyFile(join(dir, 'legacy.duckdb'), {
    legacy: true,
    conversations: 120,
    reflections: 45,
    withEmbeddings: true,
  });
  const progress: number[] = [];
  const totals = await importSessionBuddy(nats.js, fixture.path, {
    systemId: 'legacy-host',
    recordsPerUpload: 50,
    maxPayloadBytes: MAX_PAYLOAD,
    onProgress: (p) => progress.push(p.done),
  });
  expect(totals).toMatchObject({
    uploads: Math.ceil(fixture.records.length / 50),
    records: fixture.records.length,
    duplicates: 0,
    skipped: fixture.skipped,
  });
  expect(progress.at(-1)).toBe(fixture.records.length + fixture.skipped);
  expect(fixture.records.some((r) => r.embedding)).toBe(true);
  const uploads = await expectStreamHolds('legacy-host', fixture);
  expect(uploads[0]?.upload_id).toMatch(/^\d{8}_\d{6}_legacy-host_[0-9a-f]{12}_1$/);
});

test('a v2 file imports completely, v2 columns carried in metadata', async () => {
  const fixture = await createSessionBuddyFile(join(dir, 'v2.duckdb'), {
    v2: true,
    conversations: 130,
    reflections: 40,
    withEmbeddings: true,
  });
  const totals = await importSessionBuddy(nats.js, fixture.path, {
    systemId: 'v2-host',
    maxPayloadBytes: MAX_PAYLOAD,
  });
  expect(totals).toMatchObject({
    uploads: 1,
    records: fixture.records.length,
    duplicates: 0,
    skipped: fixture.skipped,
  });
  await expectStreamHolds('v2-host', fixture);
});

test('a gzip-compressed file imports completely, split into parts below a small max payload', async () => {
  const fixture = await createSessionBuddyFile(join(dir, 'reflection.duckdb.gz'), {
    legacy: true,
    v2: true,
    conversations: 60,
    reflections: 30,
    withEmbeddings: true,
    gzip: true,
  });
  const totals = await importSessionBuddy(nats.js, fixture.path, {
    systemId: 'gzip-host',
    recordsPerUpload: 200,
    maxPayloadBytes: 128 * 1024,
  });
  expect(totals).toMatchObject({ uploads: 1, records: fixture.records.length, duplicates: 0 });
  const uploads = await expectStreamHolds('gzip-host', fixture);
  expect(uploads.length).toBeGreaterThan(1);
  expect(new Set(uploads.map((u) => u.part?.count))).toEqual(new Set([uploads.length]));
});

test('rows migrated into v2 arrive once, as the v2 row with the legacy metadata', async () => {
  const fixture = await createSessionBuddyFile(join(dir, 'migrated.duckdb'), {
    legacy: true,
    v2: true,
    conversations: 40,
    reflections: 20,
    migrated: 15,
  });
  expect(await countSessionBuddyRecords(fixture.path)).toBe(
    fixture.records.length + fixture.skipped,
  );
  await importSessionBuddy(nats.js, fixture.path, {
    systemId: 'migrated-host',
    recordsPerUpload: 25,
    maxPayloadBytes: MAX_PAYLOAD,
  });
  const uploads = await expectStreamHolds('migrated-host', fixture);
  const tables = uploads.flatMap((u) => u.records.map((r) => r.metadata?.session_buddy_table));
  expect(tables.filter((t) => t === 'conversations_v2').length).toBeGreaterThan(40);
});

test('re-importing the same file publishes nothing new', async () => {
  const fixture = await createSessionBuddyFile(join(dir, 'again.duckdb'), {
    v2: true,
    conversations: 70,
    reflections: 30,
  });
  const options = { systemId: 'again-host', recordsPerUpload: 30, maxPayloadBytes: MAX_PAYLOAD };
  const first = await importSessionBuddy(nats.js, fixture.path, options);
  const seqAfterFirst = await streamLastSeq();
  const second = await importSessionBuddy(nats.js, fixture.path, options);
  expect(second).toEqual({ ...first, duplicates: first.uploads });
  expect(await streamLastSeq()).toBe(seqAfterFirst);
  await expectStreamHolds('again-host', fixture);
});

test('the gzip and the plain copy of one database share their upload ids', async () => {
  const plain = await createSessionBuddyFile(join(dir, 'same.duckdb'), {
    legacy: true,
    conversations: 30,
    reflections: 10,
  });
  const gz = join(dir, 'same.duckdb.gz');
  await gzipCopy(plain.path, gz);
  const options = { systemId: 'same-host', maxPayloadBytes: MAX_PAYLOAD };
  const first = await importSessionBuddy(nats.js, gz, options);
  const second = await importSessionBuddy(nats.js, plain.path, options);
  expect(second.upload_id_prefix).toBe(first.upload_id_prefix);
  expect(second.duplicates).toBe(second.uploads);
});

test('a DuckDB file without Session-Buddy tables gives an error naming the tables', async () => {
  const path = join(dir, 'other.duckdb');
  const instance = await DuckDBInstance.create(path);
  const conn = await instance.connect();
  await conn.run('CREATE TABLE notes (id VARCHAR, body TEXT)');
  conn.closeSync();
  instance.closeSync();
  const before = await streamLastSeq();
  await expect(
    importSessionBuddy(nats.js, path, { systemId: 'other-host', maxPayloadBytes: MAX_PAYLOAD }),
  ).rejects.toThrow(
    /none of the tables conversations_v2, reflections_v2, conversations, reflections exists/,
  );
  expect(await streamLastSeq()).toBe(before);
});

test('a file that is not DuckDB at all is refused clearly', async () => {
  const path = join(dir, 'not-duckdb.bin');
  writeFileSync(path, 'just some text, not a database');
  await expect(countSessionBuddyRecords(path)).rejects.toThrow(
    /cannot open .* as a DuckDB database/,
  );
});

test("the adapter's v2 layout (created_at, no project or timestamp) is read too", async () => {
  const path = join(dir, 'adapter.duckdb');
  const instance = await DuckDBInstance.create(path);
  const conn = await instance.connect();
  await conn.run(`CREATE TABLE conversations_v2 (id VARCHAR PRIMARY KEY, content TEXT NOT NULL, metadata JSON,
    created_at TIMESTAMP NOT NULL, updated_at TIMESTAMP NOT NULL, embedding FLOAT[384])`);
  await conn.run(
    `INSERT INTO conversations_v2 VALUES ('a1', 'hello', '{"k": 1}', TIMESTAMP '2025-05-06 07:08:09', TIMESTAMP '2025-05-07 00:00:00', NULL)`,
  );
  conn.closeSync();
  instance.closeSync();
  const batches: MemoryRecord[][] = [];
  for await (const batch of readSessionBuddyFile(path)) batches.push(batch);
  expect(batches).toEqual([
    [
      {
        id: 'a1',
        kind: 'conversation',
        content: 'hello',
        timestamp: '2025-05-06T07:08:09.000000Z',
        metadata: { k: 1, session_buddy_table: 'conversations_v2' },
      },
    ],
  ]);
});

async function gzipCopy(from: string, to: string): Promise<void> {
  await pipeline(createReadStream(from), createGzip(), createWriteStream(to));
}
