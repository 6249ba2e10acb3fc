import { withDeadline, withTimeout } from '../../api/timeout';

const never = () => new Promise<never>(() => undefined);

describe('withDeadline', () => {
  it('gives work that settles in time its own result, and each late one a TimeoutError', async () => {
    const outcomes = await withDeadline(50, (deadline) =>
      Promise.allSettled([deadline.race(Promise.resolve('fast')), deadline.race(never())]),
    );
    expect(outcomes[0]).toEqual({ status: 'fulfilled', value: 'fast' });
    expect(outcomes[1]).toMatchObject({ status: 'rejected', reason: { name: 'TimeoutError' } });
  });

  it('passes on what the work threw, and what `use` returns', async () => {
    const boom = withDeadline(5000, (deadline) => deadline.race(Promise.reject(new Error('boom'))));
    await expect(boom).rejects.toThrow('boom');
    await expect(withDeadline(5000, async () => 42)).resolves.toBe(42);
  });
});

describe('withTimeout', () => {
  it('rejects late work with a TimeoutError', async () => {
    await expect(withTimeout(never(), 20)).rejects.toMatchObject({ name: 'TimeoutError' });
  });
});
