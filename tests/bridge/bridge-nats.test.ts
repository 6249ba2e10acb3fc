import { Kvm } from '@nats-io/kv';
import type { MahavishnuBridge } from '../../bridge/mahavishnu-bridge';
import { startTestNats, type TestNats } from '../helpers/nats';
import { waitFor } from '../helpers/wait-for';
import { PERIODS, T0, makeBridge, runs } from './bridge-helpers';
import { FakeMahavishnu, ManualClock } from './fake-mahavishnu';

describe('MahavishnuBridge with window claims in NATS KV', () => {
  let nats: TestNats;
  let fake: FakeMahavishnu;
  let started: MahavishnuBridge[];
  beforeAll(async () => {
    nats = await startTestNats();
    fake = await new FakeMahavishnu().start();
  });
  afterAll(async () => {
    await fake.stop();
    await nats.stop();
  });
  beforeEach(() => {
    started = [];
    fake.calls.length = 0;
  });
  afterEach(async () => {
    for (const bridge of started) await bridge.stop();
  });

  it('two bridges sharing one KV bucket never run a job twice in a window, across modes', async () => {
    const clock = new ManualClock(T0);
    const shared = { nc: nats.nc, claimBucket: 'bridge_shared' };
    // a: normal mode (Mahavishnu answers); b: fallback (none configured)
    const a = makeBridge(clock, { ...shared, mahavishnuUrl: fake.url, owner: 'a' }, started);
    const b = makeBridge(clock, { ...shared, mahavishnuUrl: null, owner: 'b' }, started);
    await Promise.all([a.bridge.start(), b.bridge.start()]);

    const health = async () =>
      (await runs(a.bridge, 'health_check')) + (await runs(b.bridge, 'health_check'));
    await waitFor(health, { until: (n) => n === 1, what: 'first health_check run' });
    for (let i = 1; i <= 5; i++) {
      clock.advance(PERIODS.health_check);
      await waitFor(health, { until: (n) => n === i + 1, what: `health_check run ${i + 1}` });
    }
    await Promise.all([a.bridge.stop(), b.bridge.stop()]);

    expect(await health()).toBe(6);
    for (const job of ['tier_transition', 'daily_ingest_check'] as const) {
      expect((await runs(a.bridge, job)) + (await runs(b.bridge, job))).toBe(1);
    }
    const remoteWindows = fake.calls
      .filter((c) => c.arguments.task_type === 'akosha_health_check')
      .map((c) => (c.arguments.params as { window: number }).window);
    const windows = [...remoteWindows, ...b.local.health_check].sort((x, y) => x - y);
    expect(windows).toEqual([0, 1, 2, 3, 4, 5].map((i) => T0 / 1000 + i));
    expect(a.local.health_check).toEqual([]);

    const kv = await new Kvm(nats.nc).open('bridge_shared');
    const entry = await kv.get(`health_check.${T0 / 1000 + 5}`);
    expect(['a', 'b']).toContain(entry?.json<{ owner: string }>().owner);
  });

  it('tier_transition runs locally by publishing an aging event per tier', async () => {
    const clock = new ManualClock(T0);
    const sub = nats.nc.subscribe('akosha.aging.>', { max: 2 });
    const { bridge } = makeBridge(
      clock,
      { nc: nats.nc, claimBucket: 'bridge_aging', mahavishnuUrl: null, handlers: {} },
      started,
    );
    await bridge.start();
    const events: { subject: string; msgId: string | undefined; body: unknown }[] = [];
    for await (const msg of sub) {
      events.push({
        subject: msg.subject,
        msgId: msg.headers?.get('Nats-Msg-Id'),
        body: msg.json(),
      });
    }
    const window = T0 / PERIODS.tier_transition;
    const requested_at = new Date(T0).toISOString();
    expect(events).toEqual([
      {
        subject: 'akosha.aging.hot',
        msgId: `aging:hot:${window}`,
        body: { schema_version: 1, tier: 'hot', requested_at, window },
      },
      {
        subject: 'akosha.aging.warm',
        msgId: `aging:warm:${window}`,
        body: { schema_version: 1, tier: 'warm', requested_at, window },
      },
    ]);
    await waitFor(() => runs(bridge, 'tier_transition', 'fallback'), { until: (n) => n === 1 });
  });
});
