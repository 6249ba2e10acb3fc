import { mkdtempSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import type { IndexPoint, VectorIndex } from '../../../storage/vector-index/types';
import { UsearchIndex, shardIndexPath } from '../../../storage/vector-index/usearch-index';
import { runVectorIndexConformance } from './conformance';
import { RARE_SYSTEM, dataset, keyStr, rng, unitVector } from './fixtures';

/** An index whose every upsert is a bulk load's stage: what searches see before the graph does. */
function staging(index: UsearchIndex): VectorIndex {
  return Object.assign(Object.create(index) as UsearchIndex, {
    upsert: (points: IndexPoint[]) => index.stage(points),
  });
}

runVectorIndexConformance('usearch, points staged for the background build', async () =>
  staging(UsearchIndex.create({ quantization: 'i8', exactThreshold: 0, graphThread: true })),
);

describe('UsearchIndex.stage', () => {
  // more than one build slice (4,096 points), so the build is still running when stage returns
  const points = dataset(6000, 40);
  let dir: string;
  let index: UsearchIndex;
  beforeEach(() => {
    dir = mkdtempSync(join(tmpdir(), 'akosha-staged-'));
    index = UsearchIndex.create({ graphThread: true, path: shardIndexPath(dir, 7) });
  });
  afterEach(async () => {
    await index.close();
    rmSync(dir, { recursive: true, force: true });
  });

  const topKey = async (p: IndexPoint) =>
    keyStr((await index.search(p.vector, { limit: 1 }))[0]!.key);
  const sample = points.filter((_, i) => i % 300 === 3);

  it('finds staged points at once, then the graph takes them in the background', async () => {
    await index.stage(points);
    expect(index.waiting).toBeGreaterThan(0);
    expect(await index.count()).toBe(points.length);
    for (const p of sample) expect(await topKey(p)).toBe(keyStr(p.key));
    const rare = await index.search(unitVector(rng(9)), {
      limit: 100,
      filter: { system_id: RARE_SYSTEM },
    });
    expect(rare).toHaveLength(40);

    await index.built();
    expect(index.waiting).toBe(0);
    for (const p of sample) expect(await topKey(p)).toBe(keyStr(p.key));
  });

  it('a save holds every staged point: the reopened index finds them', async () => {
    await index.stage(points);
    await index.save();
    expect(index.waiting).toBe(0);
    const reopened = await UsearchIndex.open(shardIndexPath(dir, 7));
    try {
      expect(await reopened.count()).toBe(points.length);
      for (const p of sample)
        expect(keyStr((await reopened.search(p.vector, { limit: 1 }))[0]!.key)).toBe(keyStr(p.key));
    } finally {
      await reopened.close();
    }
  });

  it('a save under way when the index closes still holds every staged point', async () => {
    await index.stage(points);
    await Promise.all([index.save(), index.close()]);
    const reopened = await UsearchIndex.open(shardIndexPath(dir, 7));
    expect(await reopened.count()).toBe(points.length);
    await reopened.close();
  });

  it('removes and replaces points the graph does not hold yet', async () => {
    await index.stage(points);
    const [gone, moved] = [points[7]!, points[8]!];
    await index.remove([gone.key]);
    const elsewhere = unitVector(rng(77));
    await index.upsert([{ ...moved, vector: elsewhere }]);
    for (const settled of [false, true]) {
      if (settled) await index.built();
      const nearGone = await index.search(gone.vector, { limit: 5 });
      expect(nearGone.map((h) => keyStr(h.key))).not.toContain(keyStr(gone.key));
      expect(keyStr((await index.search(elsewhere, { limit: 1 }))[0]!.key)).toBe(keyStr(moved.key));
      expect(await index.count()).toBe(points.length - 1);
    }
  });

  it('builds first when more than stagedMax points would wait', async () => {
    await index.close();
    index = UsearchIndex.create({ graphThread: true, stagedMax: 4000 });
    await index.stage(points.slice(0, 3000));
    await index.stage(points.slice(3000, 6000));
    expect(index.waiting).toBeLessThanOrEqual(4000);
    await index.built();
    expect(await index.count()).toBe(6000);
  });

  it('closes while the build runs', async () => {
    await index.stage(points);
    await index.close();
    await expect(index.search(points[0]!.vector, { limit: 1 })).rejects.toThrow(/closed/);
  });
});
