import type { Pipeline } from '../../app/pipeline';
import { HASHING_MODEL } from '../../embedding/hashing-embedder';
import type { AkoshaConfig } from '../../infra/config';
import { verifyShards } from '../../operations/verify';
import { shardOf } from '../../schemas/ids';
import { HotStore } from '../../storage/hot-store';
import { LocalObjectStore, TierMover } from '../../storage/tiers';
import { warmDbName } from '../../storage/tiers/warm-store';
import { STREAM } from '../../streams/definitions';
import { subjects } from '../../streams/subjects';
import { startTestNats, type TestNats } from '../helpers/nats';
import { startTestPipeline, testConfig } from '../helpers/pipeline';
import { streamMessageCount } from '../helpers/streams';
import { record, upload } from '../helpers/uploads';
import { waitFor } from '../helpers/wait-for';

const SYSTEMS = ['verify-a', 'verify-b'];
const SHARDS = SYSTEMS.map(shardOf);
const COLD_BEFORE = new Date('2026-01-03T00:00:00Z');
const WARM_BEFORE = new Date('2026-01-05T00:00:00Z');

/** Ten records a day apart from 2026-01-01 per upload; the second upload resends two of the first. */
function uploadsOf(system: string) {
  const at = (i: number) => new Date(Date.UTC(2026, 0, 1) + i * 43_200_000).toISOString();
  const first = Array.from({ length: 10 }, (_, i) =>
    record(`r-${i}`, `${system} memory ${i}`, { timestamp: at(i) }),
  );
  const second = [
    first[0]!,
    record('r-1', `${system} memory 1, edited`, { timestamp: at(1) }),
    record('r-10', `${system} memory 10`, { timestamp: at(10) }),
  ];
  return [upload(system, `${system}-u1`, first), upload(system, `${system}-u2`, second)];
}

/**
 * An upload whose first publish got only part 1 of 2 in before the producer died, then
 * published whole split into 3 parts: its part 1 is another part, not a redelivery.
 */
function resplit(system: string) {
  const recent = (i: number) => record(`s-${i}`, `${system} split ${i}`);
  const part = (index: number, count: number, ids: number[]) => ({
    ...upload(system, `${system}-split`, ids.map(recent)),
    part: { index, count },
  });
  return [part(1, 2, [2, 3]), part(0, 3, [0]), part(1, 3, [1, 2]), part(2, 3, [3])];
}

describe('akosha verify over hot, warm and cold', () => {
  let nats: TestNats;
  let config: AkoshaConfig;
  let pipeline: Pipeline;
  let hot: HotStore;
  let mover: TierMover;

  beforeAll(async () => {
    expect(new Set(SHARDS).size).toBe(SHARDS.length);
    nats = await startTestNats();
    config = testConfig(nats.url);
    pipeline = await startTestPipeline(config, ['ingest', 'writer']);
    const all = [...SYSTEMS.flatMap(uploadsOf), ...resplit(SYSTEMS[1]!)];
    for (const u of all)
      await nats.js.publish(subjects.upload(shardOf(u.system_id), u.system_id), JSON.stringify(u), {
        msgID: `${u.upload_id}#${u.part?.index ?? 0}/${u.part?.count ?? 1}`,
      });
    await waitFor(() => streamMessageCount(nats.nc, STREAM.ingested), {
      until: (n) => n === SYSTEMS.length * 2 + 1,
      what: 'every upload announced',
      timeoutMs: 60_000,
    });
    await pipeline.close();
    hot = await HotStore.open(config.writer.hotDir, { concurrency: 2, model: HASHING_MODEL });
    mover = await TierMover.open(hot, {
      warmDir: config.aging.warmDir,
      objects: new LocalObjectStore(config.aging.coldDir),
    });
  }, 120_000);
  afterAll(async () => {
    await mover?.close();
    await hot?.close();
    await nats.stop();
  });

  const verify = (withTiers = true) =>
    verifyShards({
      nc: nats.nc,
      store: hot,
      ...(withTiers && { mover }),
      maxMessageBytes: config.ingest.maxMessageBytes,
    });

  it('finds no drift after aging, and sees each tier', async () => {
    for (const shard of SHARDS) {
      await mover.moveHotToWarm(shard, WARM_BEFORE);
      await mover.moveWarmToCold(shard, COLD_BEFORE);
    }
    const report = await verify();
    expect(report.drift).toEqual([]);
    const [a, b] = SHARDS.map((shard) => report.shards.find((r) => r.shard === shard)!);
    expect(a!.tiers).toEqual({ hot: 3, warm: 4, cold: 4 });
    expect(a!.stream.count).toBe(11);
    expect(b!.tiers).toEqual({ hot: 7, warm: 4, cold: 4 }); // and the re-split upload's four
    expect(b!.stream.count).toBe(15);
    // hot alone no longer holds what aged: that is not a loss
    expect((await verify(false)).drift).toEqual(SHARDS);
  });

  it('detects a record lost in warm and one lost in cold', async () => {
    const [warmShard, coldShard] = SHARDS as [number, number];
    const conn = await hot.connect();
    await conn.run(`DELETE FROM ${warmDbName(warmShard)}.records WHERE id = 'r-5'`);
    conn.closeSync();
    const objects = await mover.cold.keysOf(SYSTEMS[1]!);
    const lost = objects.find((k) => k.includes('/2026/01/01/'))!;
    await mover.cold.objects.delete(lost);

    const report = await verify();
    expect(report.drift).toEqual([...SHARDS].sort((a, b) => a - b));
    const bad = (shard: number) => report.shards.find((r) => r.shard === shard)!;
    expect(bad(warmShard).missing).toEqual([`${SYSTEMS[0]}/r-5`]);
    expect(bad(coldShard).missing).toEqual([`${SYSTEMS[1]}/r-0`, `${SYSTEMS[1]}/r-1`]);
  });
});
