import { ReadPriority } from '../../infra/read-priority';
import { upsertInSteps } from '../../storage/upsert-steps';
import type { IndexPoint } from '../../storage/vector-index/types';

const pointsOf = (n: number) =>
  Array.from({ length: n }, (_, i) => ({ key: { system_id: 's', id: `r${i}` } }) as IndexPoint);

/** An index whose upsert holds the thread `msPerPoint` per point, as a graph insert does. */
function slowIndex(msPerPoint: number) {
  const calls: IndexPoint[][] = [];
  return {
    calls,
    upsert: async (points: IndexPoint[]) => {
      const until = performance.now() + msPerPoint * points.length;
      while (performance.now() < until);
      calls.push(points);
    },
  };
}

describe('upsertInSteps', () => {
  it('inserts every point once, in order, in steps bounded by the step time', async () => {
    const index = slowIndex(0.5);
    const points = pointsOf(300);
    const steps = await upsertInSteps(index, points, new ReadPriority(0), 2);
    expect(index.calls.flat()).toEqual(points);
    expect(steps).toBe(index.calls.length);
    expect(steps).toBeGreaterThan(20);
    // after the first measured step, each holds the thread about 2 ms (4 points of 0.5 ms)
    for (const call of index.calls.slice(1)) expect(call.length).toBeLessThanOrEqual(8);
  });

  it('takes few steps when inserts are cheap', async () => {
    const index = slowIndex(0);
    await upsertInSteps(index, pointsOf(1000), new ReadPriority(0), 2);
    expect(index.calls.length).toBeLessThanOrEqual(10); // not 125 steps of 8
  });

  it('waits between steps while a search is in flight', async () => {
    const priority = new ReadPriority(60_000);
    const index = slowIndex(1);
    const end = priority.begin();
    let done = false;
    const write = upsertInSteps(index, pointsOf(50), priority, 2).then(() => (done = true));
    for (let i = 0; i < 5; i++) await new Promise<void>((r) => setImmediate(r));
    expect(index.calls).toHaveLength(1); // the first step ran; the next waits for the search
    expect(done).toBe(false);
    end();
    await write;
    expect(index.calls.flat()).toHaveLength(50);
  });
});
