import type { MahavishnuBridge } from '../../bridge/mahavishnu-bridge';
import { waitFor } from '../helpers/wait-for';
import { PERIODS, T0, calls, makeBridge, runs, totalRuns } from './bridge-helpers';
import { FakeMahavishnu, ManualClock } from './fake-mahavishnu';

describe('MahavishnuBridge against a real local HTTP server', () => {
  let fake: FakeMahavishnu;
  let clock: ManualClock;
  let started: MahavishnuBridge[];
  beforeAll(async () => {
    fake = await new FakeMahavishnu().start();
  });
  afterAll(() => fake.stop());
  beforeEach(() => {
    fake.behaviour = 'ok';
    fake.requireSession = false;
    fake.calls.length = 0;
    fake.okCount = 0;
    clock = new ManualClock(T0);
    started = [];
  });
  afterEach(async () => {
    for (const bridge of started) await bridge.stop();
  });

  /** Moves to the next health_check window and waits until that window's run is counted. */
  async function nextHealthWindow(bridge: MahavishnuBridge): Promise<void> {
    const before = await runs(bridge, 'health_check');
    clock.advance(PERIODS.health_check);
    await waitFor(() => runs(bridge, 'health_check'), {
      until: (n) => n === before + 1,
      what: 'the next health_check run',
    });
  }

  it('normal mode: asks Mahavishnu to run every job via trigger_workflow', async () => {
    const { bridge, registry, local } = makeBridge(clock, { mahavishnuUrl: fake.url }, started);
    await bridge.start();
    await waitFor(() => totalRuns(bridge), { until: (n) => n === 3, what: 'three job runs' });

    for (const job of ['daily_ingest_check', 'tier_transition', 'health_check'] as const) {
      expect(await runs(bridge, job, 'normal')).toBe(1);
      expect(local[job]).toEqual([]);
    }
    expect(fake.calls.map((c) => c.arguments.task_type).sort()).toEqual([
      'akosha_daily_ingest_check',
      'akosha_health_check',
      'akosha_tier_transition',
    ]);
    const health = fake.calls.find((c) => c.arguments.task_type === 'akosha_health_check')!;
    expect(health).toMatchObject({
      path: '/mcp',
      method: 'tools/call',
      tool: 'trigger_workflow',
      arguments: {
        adapter: 'prefect',
        tag: 'akosha',
        params: { source: 'akosha', job: 'health_check', window: T0 / 1000, period_ms: 1000 },
      },
    });
    expect(bridge.status()).toEqual({
      mode: 'normal',
      breaker_state: 'closed',
      last_contact: new Date(T0).toISOString(),
      mahavishnu_url: fake.url,
    });
    const text = await registry.metrics();
    expect(text).toContain('akosha_bridge_mode 1');
    expect(text).toContain('akosha_bridge_breaker_state{state="closed"} 1');
    expect(text).toContain('akosha_bridge_breaker_state{state="open"} 0');
    expect(text).toContain('akosha_bridge_calls_total{outcome="ok"} 3');
    expect(text).toContain('akosha_jobs_run_total{job="health_check",mode="normal"} 1');
  });

  it('normal mode against a FastMCP-style server that requires an MCP session', async () => {
    fake.requireSession = true;
    const { bridge, local } = makeBridge(clock, { mahavishnuUrl: fake.url }, started);
    await bridge.start();
    await waitFor(() => totalRuns(bridge), { until: (n) => n === 3 });
    await nextHealthWindow(bridge);
    expect(await runs(bridge, 'health_check', 'normal')).toBe(2);
    expect(local.health_check).toEqual([]);
    expect(fake.calls).toHaveLength(4);
    expect(bridge.status()).toMatchObject({ mode: 'normal', breaker_state: 'closed' });
  });

  it('opens the breaker after the configured failures and keeps running jobs locally', async () => {
    fake.behaviour = 'fail';
    const { bridge, registry, local } = makeBridge(
      clock,
      {
        mahavishnuUrl: fake.url,
        breaker: { volumeThreshold: 2, errorThresholdPercentage: 50, resetTimeoutMs: 60_000 },
      },
      started,
    );
    await bridge.start();
    await waitFor(() => totalRuns(bridge), { until: (n) => n === 3, what: 'three job runs' });
    expect(bridge.status()).toEqual({
      mode: 'fallback',
      breaker_state: 'open',
      last_contact: null,
      mahavishnu_url: fake.url,
    });
    expect(local.health_check).toEqual([T0 / 1000]);
    expect(local.tier_transition).toEqual([T0 / 1_000_000]);
    expect(local.daily_ingest_check).toEqual([T0 / 10_000_000]);
    const reachedServer = fake.calls.length;
    expect(reachedServer).toBe(3);

    for (let i = 1; i <= 3; i++) await nextHealthWindow(bridge);
    expect(local.health_check).toEqual([0, 1, 2, 3].map((i) => T0 / 1000 + i));
    expect(fake.calls).toHaveLength(reachedServer); // the open breaker fails fast
    expect(await calls(bridge, 'rejected')).toBe(3);
    expect(await calls(bridge, 'error')).toBe(3);
    expect(await runs(bridge, 'health_check', 'fallback')).toBe(4);
    const text = await registry.metrics();
    expect(text).toContain('akosha_bridge_mode 0');
    expect(text).toContain('akosha_bridge_breaker_state{state="open"} 1');
  });

  it('returns to normal once Mahavishnu answers the half-open probe', async () => {
    fake.behaviour = 'fail';
    const { bridge, registry, local } = makeBridge(
      clock,
      { mahavishnuUrl: fake.url, breaker: { volumeThreshold: 2, resetTimeoutMs: 150 } },
      started,
    );
    await bridge.start();
    await waitFor(() => bridge.status().breaker_state, { until: (s) => s === 'open' });
    await waitFor(() => totalRuns(bridge), { until: (n) => n === 3 });

    fake.behaviour = 'ok';
    await waitFor(() => bridge.status().breaker_state, {
      until: (s) => s === 'half_open',
      what: 'half-open after resetTimeout',
    });
    expect(bridge.status().mode).toBe('fallback');
    expect(await registry.metrics()).toContain('akosha_bridge_breaker_state{state="half_open"} 1');

    await nextHealthWindow(bridge); // this window's call is the probe
    expect(await runs(bridge, 'health_check', 'normal')).toBe(1);
    expect(local.health_check).toEqual([T0 / 1000]);
    expect(bridge.status()).toEqual({
      mode: 'normal',
      breaker_state: 'closed',
      last_contact: new Date(T0 + 1000).toISOString(),
      mahavishnu_url: fake.url,
    });
    expect(await registry.metrics()).toContain('akosha_bridge_mode 1');
  });

  it('a failed half-open probe re-opens the breaker and the job still runs locally', async () => {
    fake.behaviour = 'fail';
    const { bridge, local } = makeBridge(
      clock,
      { mahavishnuUrl: fake.url, breaker: { volumeThreshold: 2, resetTimeoutMs: 150 } },
      started,
    );
    await bridge.start();
    await waitFor(() => totalRuns(bridge), { until: (n) => n === 3 });
    await waitFor(() => bridge.status().breaker_state, { until: (s) => s === 'half_open' });
    await nextHealthWindow(bridge);
    expect(bridge.status()).toMatchObject({ mode: 'fallback', breaker_state: 'open' });
    expect(local.health_check).toEqual([T0 / 1000, T0 / 1000 + 1]);
    expect(fake.calls).toHaveLength(4);
  });

  it('a call slower than the timeout falls back for that window only', async () => {
    fake.behaviour = 'slow';
    fake.delayMs = 5000;
    const { bridge, local } = makeBridge(
      clock,
      { mahavishnuUrl: fake.url, callTimeoutMs: 100, breaker: { volumeThreshold: 10 } },
      started,
    );
    await bridge.start();
    await waitFor(() => totalRuns(bridge), { until: (n) => n === 3 });
    expect(await calls(bridge, 'timeout')).toBe(3);
    expect(bridge.status()).toMatchObject({ mode: 'fallback', breaker_state: 'closed' });
    expect(local.health_check).toEqual([T0 / 1000]);

    fake.behaviour = 'ok';
    await nextHealthWindow(bridge);
    expect(bridge.status()).toMatchObject({ mode: 'normal', breaker_state: 'closed' });
    expect(local.health_check).toEqual([T0 / 1000]);
  });

  it('a flapping Mahavishnu: every window runs exactly once, remotely or locally', async () => {
    fake.behaviour = 'flap';
    const { bridge, local } = makeBridge(
      clock,
      { mahavishnuUrl: fake.url, breaker: { volumeThreshold: 1000 } },
      started,
    );
    await bridge.start();
    await waitFor(() => totalRuns(bridge), { until: (n) => n === 3 });
    for (let i = 1; i <= 6; i++) await nextHealthWindow(bridge);
    await bridge.stop();

    expect(await runs(bridge, 'health_check')).toBe(7);
    expect(await runs(bridge, 'tier_transition')).toBe(1);
    expect(await runs(bridge, 'daily_ingest_check')).toBe(1);
    const normal =
      (await runs(bridge, 'health_check', 'normal')) +
      (await runs(bridge, 'tier_transition', 'normal')) +
      (await runs(bridge, 'daily_ingest_check', 'normal'));
    expect(normal).toBe(fake.okCount);
    expect(normal).toBeGreaterThan(0);
    expect(local.health_check.length).toBeGreaterThan(0);
    expect(new Set(local.health_check).size).toBe(local.health_check.length);
    expect(fake.calls).toHaveLength(9);
  });

  it('without a Mahavishnu URL every job runs locally', async () => {
    const { bridge, registry, local } = makeBridge(clock, { mahavishnuUrl: null }, started);
    await bridge.start();
    await waitFor(() => totalRuns(bridge), { until: (n) => n === 3 });
    await nextHealthWindow(bridge);
    expect(bridge.status()).toEqual({
      mode: 'fallback',
      breaker_state: 'closed',
      last_contact: null,
      mahavishnu_url: null,
    });
    expect(local.health_check).toEqual([T0 / 1000, T0 / 1000 + 1]);
    expect(await runs(bridge, 'health_check', 'fallback')).toBe(2);
    expect(fake.calls).toHaveLength(0);
    expect(await registry.metrics()).toContain('akosha_bridge_mode 0');
  });
});
