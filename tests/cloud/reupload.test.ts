import { mkdtempSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import type { Pipeline } from '../../app/pipeline';
import { DigestStore } from '../../cloud/digest-store';
import { importSessionBuddy, type ImportTotals } from '../../producers/import-session-buddy';
import { RecordDigest } from '../../producers/record-digest';
import { shardOf } from '../../schemas/ids';
import type { IngestedEvent } from '../../schemas/ingested';
import { STREAM } from '../../streams/definitions';
import { createSessionBuddyFile, type SessionBuddyFixture } from '../fixtures/session-buddy';
import { startTestNats, type TestNats } from '../helpers/nats';
import { startTestPipeline, testConfig } from '../helpers/pipeline';
import { readStream } from '../helpers/streams';
import { waitFor } from '../helpers/wait-for';

const SYSTEM = 'reupload-host';
const SHARD = shardOf(SYSTEM);
/** the fixture's rows are dated 2025-03-01 01:00 … 03:00: these cut them into three tiers */
const WARM_BEFORE = new Date('2025-03-01T02:15:00Z');
const COLD_BEFORE = new Date('2025-03-01T01:30:00Z');
const LONG = { timeoutMs: 120_000, intervalMs: 100 };

let nats: TestNats;
let pipeline: Pipeline;
let digests: DigestStore;
let dir: string;

beforeAll(async () => {
  nats = await startTestNats();
  pipeline = await startTestPipeline(testConfig(nats.url), ['ingest', 'writer']);
  digests = await DigestStore.open(nats.nc);
  dir = mkdtempSync(join(tmpdir(), 'akosha-reupload-'));
}, 60_000);

afterAll(async () => {
  await pipeline?.close();
  await nats?.stop();
  rmSync(dir, { recursive: true, force: true });
});

/** One import as the cloud path does it: last digest in, this import's digest saved after. */
async function importWithDigest(fixture: SessionBuddyFixture): Promise<ImportTotals> {
  const known = await digests.load(SYSTEM, 'records');
  const seen = new RecordDigest();
  const totals = await importSessionBuddy(nats.js, fixture.path, {
    systemId: SYSTEM,
    recordsPerUpload: 50,
    maxPayloadBytes: nats.nc.info!.max_payload,
    known,
    seen,
  });
  await digests.save(SYSTEM, 'records', seen);
  return totals;
}

/** The ingest-complete events of an import, once every upload of it has one. */
async function ingested(totals: ImportTotals): Promise<IngestedEvent['counts']> {
  const events = await waitFor(
    async () =>
      (await readStream<IngestedEvent>(nats.nc, nats.js, STREAM.ingested))
        .map((m) => m.data)
        .filter((e) => e.upload_id.startsWith(`${totals.upload_id_prefix}_`)),
    { ...LONG, until: (e) => e.length === totals.uploads, what: 'ingest-complete events' },
  );
  const sum = (k: keyof IngestedEvent['counts']) => events.reduce((n, e) => n + e.counts[k], 0);
  return {
    received: sum('received'),
    stored: sum('stored'),
    duplicate: sum('duplicate'),
    rejected: sum('rejected'),
  };
}

async function tierKeys() {
  const keys = (await pipeline.mover!.keysByTier([SHARD])).get(SHARD)!;
  return { ...keys, all: [...keys.hot, ...keys.warm, ...keys.cold].sort() };
}

const keysOf = (f: SessionBuddyFixture) => f.records.map((r) => `${SYSTEM}/${r.id}`).sort();

const agingEvent = (tier: 'hot' | 'warm') =>
  nats.nc.publish(
    `akosha.aging.${tier}`,
    JSON.stringify({ schema_version: 1, tier, requested_at: new Date().toISOString() }),
  );

test('a grown database after aging: only new records travel, each key is held once, aging goes on', async () => {
  const first = await createSessionBuddyFile(join(dir, 'first.duckdb'), {
    legacy: true,
    conversations: 60,
    reflections: 30,
  });
  const one = await importWithDigest(first);
  expect(one).toMatchObject({ records: first.records.length, unchanged: 0 });
  expect(await ingested(one)).toMatchObject({ stored: first.records.length, duplicate: 0 });

  await pipeline.mover!.moveHotToWarm(SHARD, WARM_BEFORE);
  await pipeline.mover!.moveWarmToCold(SHARD, COLD_BEFORE);
  const aged = await tierKeys();
  expect(aged.hot.length * aged.warm.length * aged.cold.length).toBeGreaterThan(0);
  expect(aged.all).toEqual(keysOf(first));

  // Session-Buddy uploads its whole database again, grown by 45 rows
  const grown = await createSessionBuddyFile(join(dir, 'grown.duckdb'), {
    legacy: true,
    conversations: 90,
    reflections: 45,
  });
  const fresh = grown.records.length - first.records.length;
  const two = await importWithDigest(grown);
  expect(two).toMatchObject({
    records: fresh,
    unchanged: first.records.length,
    skipped: grown.skipped,
  });
  expect(await ingested(two)).toEqual({
    received: fresh,
    stored: fresh,
    duplicate: 0,
    rejected: 0,
  });
  const after = await tierKeys();
  expect(after.all).toEqual(keysOf(grown));
  expect([after.warm, after.cold]).toEqual([aged.warm, aged.cold]);

  // the scheduled aging passes still run: everything is past both thresholds by now
  agingEvent('hot');
  await waitFor(() => pipeline.store!.keys(SHARD), {
    ...LONG,
    until: (k) => k.length === 0,
    what: 'hot → warm',
  });
  agingEvent('warm');
  await waitFor(() => pipeline.mover!.warm.keys(SHARD), {
    ...LONG,
    until: (k) => k.length === 0,
    what: 'warm → cold',
  });
  const cold = await tierKeys();
  expect(cold.cold.sort()).toEqual(keysOf(grown));
  expect(cold.unreadable).toEqual([]);
}, 240_000);

test('the same re-upload with the digest deleted: the writers store nothing twice', async () => {
  const grown = await createSessionBuddyFile(join(dir, 'grown-again.duckdb'), {
    legacy: true,
    conversations: 90,
    reflections: 45,
  });
  await digests.remove(SYSTEM, 'records');
  const three = await importWithDigest(grown);
  expect(three).toMatchObject({ records: grown.records.length, unchanged: 0, duplicates: 0 });
  expect(await ingested(three)).toEqual({
    received: grown.records.length,
    stored: 0,
    duplicate: grown.records.length,
    rejected: 0,
  });
  expect((await tierKeys()).all).toEqual(keysOf(grown));
  // and the digest it saved makes the next re-upload cheap again
  const four = await importWithDigest(grown);
  expect(four).toMatchObject({ records: 0, uploads: 0, unchanged: grown.records.length });
}, 240_000);
