import { mkdtempSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { UsearchIndex } from '../../../storage/vector-index/usearch-index';
import { runVectorIndexConformance } from './conformance';
import { dataset, rng, unitVector } from './fixtures';

// The same contract with the graph on the graph thread
runVectorIndexConformance('usearch, graph on its thread', async () =>
  UsearchIndex.create({ quantization: 'f32', graphThread: true }),
);
runVectorIndexConformance('usearch, int8 graph on its thread, over-fetch only', async () =>
  UsearchIndex.create({ quantization: 'i8', exactThreshold: 0, graphThread: true }),
);

describe('UsearchIndex with its graph on the graph thread', () => {
  let dir: string;
  beforeEach(() => (dir = mkdtempSync(join(tmpdir(), 'akosha-graph-thread-'))));
  afterEach(() => rmSync(dir, { recursive: true, force: true }));

  it('leaves the event loop free while the graph takes a large add', async () => {
    const index = UsearchIndex.create({ graphThread: true });
    let ticks = 0;
    const ticker = setInterval(() => ticks++, 5);
    await index.upsert(dataset(5000, 10));
    clearInterval(ticker);
    expect(await index.count()).toBe(5000);
    expect(ticks).toBeGreaterThan(3);
    await index.close();
  });

  it('saves, reopens (read or mapped) and answers, after most points were removed', async () => {
    const path = join(dir, 'shard-000.usearch');
    const points = dataset(2000, 10);
    const index = UsearchIndex.create({ path, graphThread: true });
    await index.upsert(points);
    await index.remove(points.slice(500).map((p) => p.key));
    await index.save(); // more removed slots than the file may hold: the graph is compacted
    await index.close();
    const kept = points.slice(0, 500);
    for (const mode of ['load', 'view'] as const) {
      const reopened = await UsearchIndex.open(path, { mode, graphThread: true });
      expect(await reopened.count()).toBe(500);
      const found = await Promise.all(kept.map((p) => reopened.search(p.vector, { limit: 1 })));
      // the compacted graph is approximate: nearly every kept point is its own nearest
      const self = found.filter((h, i) => h[0]!.key.id === kept[i]!.key.id).length;
      expect(self / kept.length).toBeGreaterThanOrEqual(0.98);
      await reopened.close();
    }
  });

  it('applies changes made without waiting one after another, in call order', async () => {
    const index = UsearchIndex.create({ graphThread: true });
    const points = dataset(600, 10);
    const next = rng(3);
    const changes = [
      index.upsert(points.slice(0, 400)),
      index.upsert(points.slice(200, 600)), // half of it replaces points still being added
      index.remove(points.slice(0, 100).map((p) => p.key)),
      index.upsert(points.slice(50, 60)), // back again
    ];
    const searches = Array.from({ length: 30 }, () => index.search(unitVector(next), { limit: 3 }));
    await Promise.all([...changes, ...searches]);
    expect(await index.count()).toBe(510);
    const hit = async (i: number) => (await index.search(points[i]!.vector, { limit: 1 }))[0]!.key;
    expect(await hit(55)).toEqual(points[55]!.key);
    expect(await hit(10)).not.toEqual(points[10]!.key);
    expect(await hit(599)).toEqual(points[599]!.key);
    await index.close();
    await expect(index.search(points[0]!.vector, { limit: 1 })).rejects.toThrow(/closed/);
  });
});
