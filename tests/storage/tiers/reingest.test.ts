import { mkdtempSync, rmSync } from 'node:fs';
import { rm } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { HASHING_MODEL } from '../../../embedding/hashing-embedder';
import type { EmbeddedRecord } from '../../../schemas/embedded';
import { shardOf } from '../../../schemas/ids';
import { shardDbName } from '../../../storage/hot-schema';
import { HotStore } from '../../../storage/hot-store';
import { LocalObjectStore, TierMover } from '../../../storage/tiers';
import { warmDbName } from '../../../storage/tiers/warm-store';
import { chunkInput, embeddedRecord } from '../chunk-inputs';

const SYSTEM = 'reingest-host';
const SHARD = shardOf(SYSTEM);
const COLD_BEFORE = new Date('2026-01-03T00:00:00Z');
const WARM_BEFORE = new Date('2026-01-05T00:00:00Z');
const EVERYTHING = new Date('2027-01-01T00:00:00Z');

/** 30 records over 2026-01-01 … 01-05: twelve become cold, twelve warm, six stay hot. */
const original = Array.from({ length: 30 }, (_, i) =>
  embeddedRecord(
    `rec-${i}`,
    `original memory ${i} of the re-ingest test`,
    new Date(Date.UTC(2026, 0, 1) + i * 4 * 3_600_000).toISOString(),
  ),
);
/** the same records again, a third of them edited (same id, other text) */
const resent = original.map((r, i) =>
  i % 3 === 0 ? embeddedRecord(r.id, `${r.id} edited later`, r.timestamp) : r,
);
/** the same texts under other ids (content duplicates) */
const copies = original.map((r, i) => embeddedRecord(`copy-${i}`, r.content, r.timestamp));

let dir: string;
beforeEach(() => {
  dir = mkdtempSync(join(tmpdir(), 'akosha-reingest-'));
});
afterEach(() => rmSync(dir, { recursive: true, force: true }));

async function open(): Promise<{ hot: HotStore; mover: TierMover; close: () => Promise<void> }> {
  const hot = await HotStore.open(join(dir, 'hot'), { concurrency: 2, model: HASHING_MODEL });
  const mover = await TierMover.open(hot, {
    warmDir: join(dir, 'warm'),
    objects: new LocalObjectStore(join(dir, 'cold')),
  });
  await mover.recover();
  return { hot, mover, close: () => mover.close().then(() => hot.close()) };
}

async function ingest(hot: HotStore, uploadId: string, records: EmbeddedRecord[]) {
  const { chunks } = await hot.writeShard(SHARD, [chunkInput(SYSTEM, uploadId, records)]);
  return chunks[0]!;
}

/** Ages the shard: the oldest third to cold, the next to warm. */
async function age(mover: TierMover): Promise<void> {
  await mover.moveHotToWarm(SHARD, WARM_BEFORE);
  await mover.moveWarmToCold(SHARD, COLD_BEFORE);
}

async function keysOverTiers(mover: TierMover) {
  const keys = (await mover.keysByTier([SHARD])).get(SHARD)!;
  return { ...keys, all: [...keys.hot, ...keys.warm, ...keys.cold].sort() };
}

const allKeys = original.map((r) => `${SYSTEM}/${r.id}`).sort();

describe('records sent again after they aged', () => {
  it('are duplicates by key and by content in every tier; aging and restore still pass', async () => {
    const { hot, mover, close } = await open();
    expect((await ingest(hot, 'up-1', original)).stored).toHaveLength(30);
    await age(mover);
    const aged = await keysOverTiers(mover);
    expect([aged.hot.length, aged.warm.length, aged.cold.length]).toEqual([6, 12, 12]);

    const byKey = await ingest(hot, 'up-2', resent);
    const byContent = await ingest(hot, 'up-3', copies);
    const fresh = embeddedRecord('rec-new', 'a memory nobody sent before', '2026-01-02T00:00:00Z');
    const mixed = await ingest(hot, 'up-4', [original[0]!, fresh]);
    expect(byKey.stored).toEqual([]);
    expect(byKey.duplicate).toHaveLength(30);
    expect(byContent.stored).toEqual([]);
    expect(mixed.stored).toEqual(['rec-new']);

    // aging goes on: no move fails, every key once over the tiers, the first version kept
    await age(mover);
    await mover.moveHotToWarm(SHARD, EVERYTHING);
    await mover.moveWarmToCold(SHARD, COLD_BEFORE);
    const after = await keysOverTiers(mover);
    expect(after.all).toEqual([...allKeys, `${SYSTEM}/rec-new`].sort());

    const restored = await mover.restore(SYSTEM);
    expect(restored.fromWarm + restored.fromCold).toBe(31);
    const back = await keysOverTiers(mover);
    expect(back.hot.sort()).toEqual(after.all);
    expect(back.warm.concat(back.cold)).toEqual([]);
    const conn = await hot.connect();
    const edited = await conn.runAndReadAll(
      `SELECT count(*)::INTEGER AS n FROM ${shardDbName(SHARD)}.memories WHERE content LIKE '%edited%'`,
    );
    conn.closeSync();
    expect(edited.getRowObjectsJS()[0]!.n).toBe(0);
    await close();
  });

  it('are duplicates too in files written before the key index (filled from hot, warm and cold)', async () => {
    let tiers = await open();
    await ingest(tiers.hot, 'up-1', original);
    await age(tiers.mover);
    // an older file: no key index
    const conn = await tiers.hot.connect();
    await conn.run(`DELETE FROM ${shardDbName(SHARD)}.record_keys`);
    await conn.run(`DELETE FROM ${shardDbName(SHARD)}.record_keys_filled`);
    conn.closeSync();
    await tiers.close();

    tiers = await open();
    expect((await ingest(tiers.hot, 'up-2', resent)).stored).toEqual([]);
    expect((await ingest(tiers.hot, 'up-3', copies)).stored).toEqual([]);
    await tiers.mover.moveHotToWarm(SHARD, EVERYTHING);
    expect((await keysOverTiers(tiers.mover)).all).toEqual(allKeys);
    await tiers.close();
  });

  it('retention forgets the keys of the days it deleted in every tier, and only those', async () => {
    const { hot, mover, close } = await open();
    await ingest(hot, 'up-1', original);
    await age(mover);
    // cutoff 2026-01-02 12:00: the cold object of 01-01 goes (that of 01-02 is not wholly
    // past); keys go by whole days too, so no key of a record still held is forgotten
    const expired = await mover.deleteExpired(1, new Date('2026-01-03T12:00:00Z'));
    expect(expired.coldObjects).toBe(1);
    const conn = await hot.connect();
    const left = await conn.runAndReadAll(
      `SELECT id FROM ${shardDbName(SHARD)}.record_keys ORDER BY ts`,
    );
    conn.closeSync();
    expect(left.getRows().map(([id]) => id)).toEqual(original.slice(6).map((r) => r.id));
    const held = await keysOverTiers(mover);
    expect(held.all).toEqual(
      original
        .slice(6)
        .map((r) => `${SYSTEM}/${r.id}`)
        .sort(),
    );
    await close();
  });

  it('a hot duplicate of a warm key (left by an older version) is resolved by the move: warm wins', async () => {
    const { hot, mover, close } = await open();
    await ingest(hot, 'up-1', original);
    await mover.moveHotToWarm(SHARD, WARM_BEFORE);
    // what the old dedupe let through: the same key in hot again, from another upload
    const h = shardDbName(SHARD);
    const w = warmDbName(SHARD);
    const conn = await hot.connect();
    await conn.run(`INSERT INTO ${h}.memories SELECT * REPLACE ('rec-0' AS id, 'up-9' AS upload_id)
      FROM ${h}.memories WHERE id = 'rec-25'`);
    conn.closeSync();

    const moved = await mover.moveHotToWarm(SHARD, EVERYTHING);
    expect(moved.records).toBe(7); // six hot records and the duplicate
    const keys = await keysOverTiers(mover);
    expect(keys.all).toEqual(allKeys);
    const check = await hot.connect();
    const kept = await check.runAndReadAll(`SELECT upload_id FROM ${w}.records WHERE id = 'rec-0'`);
    check.closeSync();
    expect(kept.getRowObjectsJS()).toEqual([{ upload_id: 'up-1' }]);
    await close();
    await rm(dir, { recursive: true, force: true });
  });
});
