import { mkdtempSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { AgingConsumer } from '../../consumers/aging';
import { HASHING_MODEL } from '../../embedding/hashing-embedder';
import { loadConfig } from '../../infra/config';
import { createLogger } from '../../infra/logger';
import { createMetrics } from '../../infra/metrics';
import { ServerClock } from '../../infra/server-clock';
import { HotStore } from '../../storage/hot-store';
import { openObjectStore, TierMover } from '../../storage/tiers';
import { startTestNats, type TestNats } from '../helpers/nats';
import { seedHot } from '../storage/tiers/fixtures';

const DAY_MS = 86_400_000;
const SYSTEMS = ['clock-host-a', 'clock-host-b'];

describe('aging under a writer clock stepped forward by days', () => {
  let nats: TestNats;
  let dir: string;
  let hot: HotStore;
  let mover: TierMover;
  beforeAll(async () => {
    nats = await startTestNats();
    dir = mkdtempSync(join(tmpdir(), 'akosha-clock-'));
    hot = await HotStore.open(join(dir, 'hot'), { concurrency: 1, model: HASHING_MODEL });
    mover = await TierMover.open(hot, {
      warmDir: join(dir, 'warm'),
      objects: openObjectStore({ localDir: join(dir, 'cold') }),
    });
    // ten days old: past warmAfterDays (7), two days short of retention (12)
    await seedHot(hot, {
      systems: SYSTEMS,
      perSystem: 20,
      start: new Date(Date.now() - 10 * DAY_MS),
      days: 0.5,
    });
  });
  afterAll(async () => {
    await mover.close();
    await hot.close();
    rmSync(dir, { recursive: true, force: true });
    await nats.stop();
  });

  const aging = async (clockOffsetMs: number) => {
    const metrics = createMetrics();
    const consumer = new AgingConsumer(
      {
        nc: nats.nc,
        store: hot,
        mover,
        metrics,
        log: createLogger('silent'),
        clock: { now: () => Date.now() + clockOffsetMs },
        serverClock: await ServerClock.open(nats.nc, 'clock-test'),
      },
      { ...loadConfig({}).aging, warmAfterDays: 7, coldAfterDays: 60, retentionDays: 12 },
    );
    return { consumer, metrics };
  };
  const total = async () => (await hot.count()) + (await mover.warm.count());

  it('moves and deletes nothing while its clock disagrees with the server, and reports the skew', async () => {
    const stepped = await aging(3 * DAY_MS); // retention would take every record
    await stepped.consumer.run('warm');
    await stepped.consumer.run('hot');
    expect(await hot.count()).toBe(40);
    expect(await mover.warm.count()).toBe(0);
    const skew = (await stepped.metrics.clockSkew.get()).values[0]!.value;
    expect(skew).toBeGreaterThan(3 * 86_400 - 60);

    const agreeing = await aging(0);
    await agreeing.consumer.run('hot');
    await agreeing.consumer.run('warm');
    expect(await mover.warm.count()).toBe(40); // aged to warm, none expired
    expect(await total()).toBe(40);
    expect(Math.abs((await agreeing.metrics.clockSkew.get()).values[0]!.value)).toBeLessThan(60);
  });
});
