import { mkdtempSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { jetstreamManager } from '@nats-io/jetstream';
import { loadConfig } from '../../infra/config';
import { importSessionBuddy, type ImportOptions } from '../../producers/import-session-buddy';
import { RecordDigest } from '../../producers/record-digest';
import type { UploadMessage } from '../../schemas/upload';
import { applyTopology } from '../../streams/apply';
import { STREAM } from '../../streams/definitions';
import { createSessionBuddyFile } from '../fixtures/session-buddy';
import { startTestNats, type TestNats } from '../helpers/nats';
import { readStream } from '../helpers/streams';

let nats: TestNats;
let dir: string;

beforeAll(async () => {
  nats = await startTestNats();
  await applyTopology(nats.nc, loadConfig({}).streams);
  dir = mkdtempSync(join(tmpdir(), 'akosha-sb-digest-'));
});

afterAll(async () => {
  await nats?.stop();
  rmSync(dir, { recursive: true, force: true });
});

const options = (systemId: string, more: Partial<ImportOptions> = {}): ImportOptions => ({
  systemId,
  recordsPerUpload: 20,
  maxPayloadBytes: 8 * 1024 * 1024,
  ...more,
});

async function uploadsOf(systemId: string): Promise<UploadMessage[]> {
  const all = await readStream<UploadMessage>(nats.nc, nats.js, STREAM.uploads);
  return all.map((m) => m.data).filter((u) => u.system_id === systemId);
}

const lastSeq = async () =>
  (await (await jetstreamManager(nats.nc)).streams.info(STREAM.uploads)).state.last_seq;

test('a grown database publishes only its new records, in full batches, the same on a retry', async () => {
  const small = await createSessionBuddyFile(join(dir, 'small.duckdb'), {
    legacy: true,
    conversations: 40,
    reflections: 20,
  });
  const seen = new RecordDigest();
  const first = await importSessionBuddy(nats.js, small.path, options('grow-host', { seen }));
  expect(first).toMatchObject({ records: small.records.length, unchanged: 0 });
  expect(seen.size).toBe(small.records.length);

  const grown = await createSessionBuddyFile(join(dir, 'grown.duckdb'), {
    legacy: true,
    conversations: 70,
    reflections: 35,
  });
  const known = RecordDigest.fromBytes(seen.toBytes());
  const next = new RecordDigest();
  const before = (await uploadsOf('grow-host')).length;
  const second = await importSessionBuddy(
    nats.js,
    grown.path,
    options('grow-host', { known, seen: next }),
  );
  const fresh = grown.records.length - small.records.length;
  expect(second).toMatchObject({
    records: fresh,
    unchanged: small.records.length,
    uploads: Math.ceil(fresh / 20),
    duplicates: 0,
  });
  expect(next.size).toBe(grown.records.length);
  const published = (await uploadsOf('grow-host')).slice(before);
  const oldIds = new Set(small.records.map((r) => r.id));
  const ids = published.flatMap((u) => u.records.map((r) => r.id));
  expect(ids.some((id) => oldIds.has(id))).toBe(false);
  expect(ids.sort()).toEqual(
    grown.records
      .map((r) => r.id)
      .filter((id) => !oldIds.has(id))
      .sort(),
  );
  expect(published.slice(0, -1).every((u) => u.records.length === 20)).toBe(true);

  // a retry with the same known set: the same uploads, all dropped by the broker
  const seq = await lastSeq();
  const retry = await importSessionBuddy(nats.js, grown.path, options('grow-host', { known }));
  expect(retry).toEqual({ ...second, duplicates: second.uploads });
  expect(await lastSeq()).toBe(seq);
});

test('the same file against another known set takes other upload ids, so nothing is dropped', async () => {
  const file = await createSessionBuddyFile(join(dir, 'other.duckdb'), {
    v2: true,
    conversations: 30,
    reflections: 10,
  });
  const half = new RecordDigest();
  await importSessionBuddy(nats.js, file.path, options('known-host', { seen: half }));
  const withKnown = await importSessionBuddy(
    nats.js,
    file.path,
    options('known-host', { known: half }),
  );
  const empty = await importSessionBuddy(
    nats.js,
    file.path,
    options('known-host', { known: new RecordDigest() }),
  );
  const plain = await importSessionBuddy(nats.js, file.path, options('known-host'));
  expect(withKnown).toMatchObject({ records: 0, uploads: 0, unchanged: file.records.length });
  expect(empty).toMatchObject({ records: file.records.length, duplicates: 0, unchanged: 0 });
  expect(empty.upload_id_prefix).not.toBe(plain.upload_id_prefix);
  // without a digest the ids are those of the first import, which the broker already has
  expect(plain.duplicates).toBe(plain.uploads);
});
