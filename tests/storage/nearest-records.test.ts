import { l2Normalise } from '../../embedding/vector';
import { POINTS_PER_RECORD, nearestRecords } from '../../storage/hot-index';
import { passagePointId } from '../../storage/vector-index/hot-source';
import type { IndexHit, IndexPoint } from '../../storage/vector-index/types';
import { UsearchIndex } from '../../storage/vector-index/usearch-index';
import { dataset, rng, unitVector } from './vector-index/fixtures';

/** A point of record `id` (or of its passage) at `vector`. */
function point(id: string, vector: Float32Array, passage?: number): IndexPoint {
  const pointId = passage === undefined ? id : passagePointId(id, passage);
  const payload = {
    system_id: 'sys-a',
    id: pointId,
    kind: 'conversation',
    project: null,
    timestamp: '2026-01-01T00:00:00.000Z',
    shard: 1,
    tier: 'hot' as const,
  };
  return { key: { system_id: 'sys-a', id: pointId }, vector, payload };
}

/** `base` moved a little along a random direction: nearer to `base` than random points are. */
function near(base: Float32Array, next: () => number, amount: number): Float32Array {
  const noise = unitVector(next);
  return l2Normalise(base.map((x, i) => x + amount * noise[i]!));
}

describe('nearestRecords: the best records of an index whose records own several points', () => {
  let index: UsearchIndex;
  const asked: number[] = [];
  const search = (query: Float32Array) => (k: number) => {
    asked.push(k);
    return index.search(query, { limit: k });
  };

  beforeEach(() => {
    asked.length = 0;
    index = UsearchIndex.create({ quantization: 'f32' });
  });
  afterEach(() => index.close());

  it('asks for POINTS_PER_RECORD × `limit` points when they hold `limit` records', async () => {
    const points = dataset(300);
    await index.upsert(points);
    const query = points[17]!.vector;

    const found = await nearestRecords(search(query), 10);

    expect(asked).toEqual([10 * POINTS_PER_RECORD]);
    expect(found).toHaveLength(10);
    expect(found[0]).toMatchObject({ id: points[17]!.key.id, passage: undefined });
    expect(new Set(found.map((h) => h.id)).size).toBe(10);
  });

  it('asks for three times as many, and more, while passages of one record fill the points', async () => {
    const next = rng(7);
    const target = unitVector(next);
    // one record whose own vector and passages are all nearer the query than anything else
    const long = [point('long', near(target, next, 0.05))];
    for (let p = 0; p < 3 * POINTS_PER_RECORD; p++)
      long.push(point('long', near(target, next, 0.05), p));
    const others = Array.from({ length: 200 }, (_, i) => point(`r${i}`, unitVector(next)));
    await index.upsert([...long, ...others]);

    const found = await nearestRecords(search(target), 3);

    expect(asked).toEqual([3 * POINTS_PER_RECORD, 9 * POINTS_PER_RECORD]);
    expect(found.map((h) => h.id)[0]).toBe('long');
    expect(found).toHaveLength(3);
    expect(new Set(found.map((h) => h.id)).size).toBe(3);
    expect(found.map((h) => h.similarity)).toEqual(
      [...found.map((h) => h.similarity)].sort((a, b) => b - a),
    );
  });

  it('returns fewer records once the index has no more points', async () => {
    const next = rng(9);
    const points = [0, 1, 2].map((i) => point(`r${i}`, unitVector(next)));
    points.push(point('r0', unitVector(next), 0), point('r1', unitVector(next), 0));
    await index.upsert(points);

    const found = await nearestRecords(search(unitVector(next)), 10);

    expect(asked).toEqual([10 * POINTS_PER_RECORD]);
    expect(found.map((h) => h.id).sort()).toEqual(['r0', 'r1', 'r2']);
  });

  it('keeps the passage that matched', async () => {
    const next = rng(11);
    const target = unitVector(next);
    const hits: IndexHit[] = [];
    await index.upsert([
      point('doc', unitVector(next)),
      point('doc', near(target, next, 0.01), 4),
      ...Array.from({ length: 50 }, (_, i) => point(`r${i}`, unitVector(next))),
    ]);
    const found = await nearestRecords(async (k) => {
      const raw = await index.search(target, { limit: k });
      hits.push(...raw);
      return raw;
    }, 1);
    expect(found).toEqual([expect.objectContaining({ id: 'doc', passage: 4 })]);
    expect(hits[0]!.key.id).toBe(passagePointId('doc', 4));
  });
});
