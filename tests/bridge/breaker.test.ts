import { Breaker, isBreakerOpenError, type BreakerState } from '../../bridge/breaker';
import { waitFor } from '../helpers/wait-for';

describe('Breaker (opossum)', () => {
  let healthy = false;
  let calls = 0;
  const action = async (): Promise<string> => {
    calls++;
    if (!healthy) throw new Error('down');
    return 'ok';
  };
  let breaker: Breaker<[], string>;
  const states: BreakerState[] = [];
  beforeEach(() => {
    healthy = false;
    calls = 0;
    states.length = 0;
    breaker = new Breaker(action, {
      timeoutMs: 200,
      errorThresholdPercentage: 50,
      volumeThreshold: 3,
      resetTimeoutMs: 100,
    });
    breaker.onStateChange((s) => states.push(s));
  });
  afterEach(() => breaker.shutdown());

  it('opens after the volume threshold of failures and then fails fast', async () => {
    expect(breaker.state).toBe('closed');
    await expect(breaker.fire()).rejects.toThrow('down');
    await expect(breaker.fire()).rejects.toThrow('down');
    expect(breaker.state).toBe('closed');
    await expect(breaker.fire()).rejects.toThrow('down');
    expect(breaker.state).toBe('open');
    const rejected = await breaker.fire().catch((e: unknown) => e);
    expect(isBreakerOpenError(rejected)).toBe(true);
    expect(calls).toBe(3);
  });

  it('lets one probe through when half-open: failure re-opens, success closes', async () => {
    for (let i = 0; i < 3; i++) await breaker.fire().catch(() => undefined);
    await waitFor(() => breaker.state, { until: (s) => s === 'half_open', timeoutMs: 2000 });
    await expect(breaker.fire()).rejects.toThrow('down');
    expect(breaker.state).toBe('open');
    await waitFor(() => breaker.state, { until: (s) => s === 'half_open', timeoutMs: 2000 });
    healthy = true;
    await expect(breaker.fire()).resolves.toBe('ok');
    expect(breaker.state).toBe('closed');
    expect(states).toEqual(['open', 'half_open', 'open', 'half_open', 'closed']);
  });

  it('counts a call slower than its timeout as a failure', async () => {
    let timer: NodeJS.Timeout | undefined;
    const late = () => new Promise<string>((r) => (timer = setTimeout(() => r('late'), 500)));
    const slow = new Breaker(late, { timeoutMs: 50, volumeThreshold: 1, resetTimeoutMs: 1000 });
    try {
      await expect(slow.fire()).rejects.toMatchObject({ code: 'ETIMEDOUT' });
      expect(slow.state).toBe('open');
    } finally {
      clearTimeout(timer);
      slow.shutdown();
    }
  });
});
