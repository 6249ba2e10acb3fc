import {
  KvClaimStore,
  LocalScheduler,
  MemoryClaimStore,
  claimKey,
  windowOf,
  type ClaimStore,
  type JobContext,
  type ScheduledJob,
} from '../../scheduler/local-scheduler';
import { startTestNats, type TestNats } from '../helpers/nats';

class ManualClock {
  constructor(public t: number) {}
  now(): number {
    return this.t;
  }
}

const T0 = 1_000_000 * 3_600_000; // aligned to every period used below

function recordingJob(name: string, periodMs: number, runs: JobContext[]): ScheduledJob {
  return { name, periodMs, run: async (ctx) => void runs.push(ctx) };
}

describe('LocalScheduler (pure logic, driven by tick())', () => {
  it('computes windows as floor(now / period)', () => {
    expect(windowOf(0, 1000)).toBe(0);
    expect(windowOf(1999, 1000)).toBe(1);
    expect(windowOf(2000, 1000)).toBe(2);
    expect(claimKey('health_check', 42)).toBe('health_check.42');
  });

  it('runs a job once per window, and again in the next window', async () => {
    const clock = new ManualClock(T0);
    const runs: JobContext[] = [];
    const scheduler = new LocalScheduler({
      jobs: [recordingJob('minutely', 60_000, runs)],
      clock,
    });
    await scheduler.tick();
    await scheduler.tick();
    clock.t += 59_999;
    await scheduler.tick();
    expect(runs).toEqual([
      { job: 'minutely', window: T0 / 60_000, windowStartMs: T0, periodMs: 60_000 },
    ]);
    clock.t += 1;
    await scheduler.tick();
    await scheduler.tick();
    expect(runs.map((r) => r.window)).toEqual([T0 / 60_000, T0 / 60_000 + 1]);
  });

  it('runs each job on its own period', async () => {
    const clock = new ManualClock(T0);
    const fast: JobContext[] = [];
    const slow: JobContext[] = [];
    const scheduler = new LocalScheduler({
      jobs: [recordingJob('fast', 1000, fast), recordingJob('slow', 10_000, slow)],
      clock,
    });
    for (let i = 0; i < 25; i++) {
      await scheduler.tick();
      clock.t += 500;
    }
    expect(fast).toHaveLength(13); // windows 0..12 of 12.5 s
    expect(slow).toHaveLength(2);
  });

  it('never runs a window twice across schedulers sharing a claim store', async () => {
    const clock = new ManualClock(T0);
    const claims = new MemoryClaimStore();
    const runs: JobContext[] = [];
    const a = new LocalScheduler({ jobs: [recordingJob('job', 1000, runs)], clock, claims });
    const b = new LocalScheduler({ jobs: [recordingJob('job', 1000, runs)], clock, claims });
    for (let i = 0; i < 5; i++) {
      await Promise.all([a.tick(), b.tick(), a.tick()]);
      clock.t += 1000;
    }
    expect(runs.map((r) => r.window - T0 / 1000)).toEqual([0, 1, 2, 3, 4]);
  });

  it('a failed run consumes its window; a failed claim is retried on the next tick', async () => {
    const clock = new ManualClock(T0);
    let attempts = 0;
    let claimDown = false;
    const inner = new MemoryClaimStore();
    const claims: ClaimStore = {
      claim: (key, owner) =>
        claimDown ? Promise.reject(new Error('kv down')) : inner.claim(key, owner),
    };
    const scheduler = new LocalScheduler({
      jobs: [
        {
          name: 'flaky',
          periodMs: 1000,
          run: async () => {
            attempts++;
          },
        },
      ],
      clock,
      claims,
    });
    const failing = new LocalScheduler({
      jobs: [
        {
          name: 'boom',
          periodMs: 1000,
          run: async () => {
            attempts += 100;
            throw new Error('boom');
          },
        },
      ],
      clock,
    });
    await failing.tick();
    await failing.tick();
    expect(attempts).toBe(100);

    claimDown = true;
    await scheduler.tick();
    expect(attempts).toBe(100);
    claimDown = false;
    await scheduler.tick();
    await scheduler.tick();
    expect(attempts).toBe(101);
  });

  it('does not start a second run of a job while one is in flight', async () => {
    const clock = new ManualClock(T0);
    let release!: () => void;
    let started = 0;
    const scheduler = new LocalScheduler({
      jobs: [
        {
          name: 'long',
          periodMs: 1000,
          run: () => {
            started++;
            if (started > 1) return Promise.resolve();
            return new Promise<void>((r) => (release = r));
          },
        },
      ],
      clock,
    });
    const first = scheduler.tick();
    clock.t += 1000;
    await scheduler.tick();
    expect(started).toBe(1);
    release();
    await first;
    await scheduler.tick();
    expect(started).toBe(2);
  });

  it('rejects job names that are not one KV key token', () => {
    expect(
      () => new LocalScheduler({ jobs: [{ name: 'a.b', periodMs: 1, run: async () => {} }] }),
    ).toThrow(/invalid job name/);
  });
});

describe('KvClaimStore (real nats-server)', () => {
  let nats: TestNats;
  beforeAll(async () => {
    nats = await startTestNats();
  });
  afterAll(() => nats.stop());

  it('grants a key to exactly one of many concurrent claimants', async () => {
    const stores = await Promise.all([
      KvClaimStore.open(nats.nc, { bucket: 'claims_test' }),
      KvClaimStore.open(nats.nc, { bucket: 'claims_test' }),
    ]);
    const results = await Promise.all(
      Array.from({ length: 10 }, (_, i) => stores[i % 2]!.claim('job.1', `owner-${i}`)),
    );
    expect(results.filter(Boolean)).toHaveLength(1);
    expect(await stores[0]!.claim('job.2', 'x')).toBe(true);
    const entry = await stores[1]!.kv.get('job.1');
    expect(entry?.json<{ owner: string }>().owner).toMatch(/^owner-\d$/);
  });
});
