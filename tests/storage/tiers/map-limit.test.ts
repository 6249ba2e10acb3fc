import { mapLimit } from '../../../storage/tiers/cold-store';

/** A promise with its resolve/reject exposed, so the test decides when each task ends. */
function deferred<T>() {
  let resolve!: (v: T) => void;
  let reject!: (e: unknown) => void;
  const promise = new Promise<T>((res, rej) => {
    resolve = res;
    reject = rej;
  });
  return { promise, resolve, reject };
}

describe('mapLimit', () => {
  test('keeps the order of results and never runs more than the limit at once', async () => {
    let running = 0;
    let peak = 0;
    const out = await mapLimit([5, 1, 4, 2, 3], 2, async (n, i) => {
      running++;
      peak = Math.max(peak, running);
      await new Promise((r) => setTimeout(r, n));
      running--;
      return `${i}:${n}`;
    });
    expect(out).toEqual(['0:5', '1:1', '2:4', '3:2', '4:3']);
    expect(peak).toBe(2);
  });

  test('a failure waits for the tasks already running and starts no new one', async () => {
    const tasks = [deferred<string>(), deferred<string>(), deferred<string>()];
    const started: number[] = [];
    let settled = false;
    const run = mapLimit([0, 1, 2], 2, (i) => {
      started.push(i);
      return tasks[i]!.promise;
    }).then(
      () => 'resolved',
      (err: Error) => err.message,
    );
    void run.then(() => (settled = true));

    tasks[0]!.reject(new Error('first failed'));
    await new Promise((r) => setImmediate(r));
    expect(settled).toBe(false); // task 1 still runs

    tasks[1]!.resolve('late');
    expect(await run).toBe('first failed');
    expect(started).toEqual([0, 1]); // item 2 never started
  });

  test('the first error is the one thrown', async () => {
    const err = await mapLimit([0, 1], 2, async (i) => {
      await new Promise((r) => setTimeout(r, i === 0 ? 20 : 1));
      throw new Error(`task ${i}`);
    }).catch((e: Error) => e.message);
    expect(err).toBe('task 1');
  });
});
