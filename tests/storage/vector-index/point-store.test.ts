import { PointStore } from '../../../storage/vector-index/point-store';

const DIM = 4;

function filledStore(points: number): PointStore {
  const store = new PointStore(DIM);
  for (let i = 0; i < points; i++) {
    const payload = {
      system_id: `host-${i % 3}`,
      id: `m-${i}`,
      kind: 'conversation',
      project: null,
      timestamp: '2026-01-01T00:00:00Z',
      shard: i % 3,
      tier: 'hot' as const,
    };
    const extra = i % 2 === 0 ? Buffer.from(`extra ${i}`) : undefined;
    store.put(BigInt(i + 1), payload, Float32Array.of(i, 1, 0, 0), extra);
  }
  return store;
}

describe('PointStore.snapshot', () => {
  it('copies a large store in turns, letting the event loop run, grouped by system', async () => {
    const points = 70_000; // more than two turns' worth
    const store = filledStore(points);
    let turnEnded = false;
    setImmediate(() => (turnEnded = true));
    const snap = await store.snapshot();
    expect(turnEnded).toBe(true);
    expect(snap.count).toBe(points);
    const { ids, keys, system, extraBytes, strings } = snap.columns;
    const systems = Array.from(system, (ref) => strings[ref]);
    // each system's rows together, and every row's columns from the same point
    expect(new Set(systems).size).toBe(3);
    expect(systems.filter((s, i) => i > 0 && s !== systems[i - 1]).length).toBe(2);
    for (const row of [0, 23_456, 46_000, points - 1]) {
      const i = Number(keys[row]!) - 1;
      expect(ids[row]).toBe(`m-${i}`);
      expect(systems[row]).toBe(`host-${i % 3}`);
      expect(extraBytes[row]).toBe(i % 2 === 0 ? `extra ${i}`.length : 0);
      const vector = new Float32Array(DIM);
      snap.readVectors(row, 1, vector);
      expect(vector[0]).toBe(i);
      expect(snap.extra(row)?.toString()).toBe(i % 2 === 0 ? `extra ${i}` : undefined);
    }
  });
});

describe('PointStore.put', () => {
  const payload = {
    system_id: 'host',
    id: 'm',
    kind: 'conversation',
    project: null,
    timestamp: '2026-01-01T00:00:00Z',
    shard: 0,
    tier: 'hot' as const,
  };

  it('copies a vector, unless it is handed over', () => {
    const store = new PointStore(DIM);
    const copied = Float32Array.of(1, 2, 3, 4);
    const handed = Float32Array.of(5, 6, 7, 8);
    store.put(1n, payload, copied);
    store.put(2n, { ...payload, id: 'n' }, handed, undefined, true);
    copied[0] = -1; // the caller's later writes reach only what it handed over
    handed[0] = -5;
    expect(Array.from(store.vectorsOf([1n, 2n]))).toEqual([1, 2, 3, 4, -5, 6, 7, 8]);
  });
});
