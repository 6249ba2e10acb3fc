import { Index } from 'usearch';
import { InlineGraph } from '../../../storage/vector-index/graph';
import { DIM, F32_GRAPH, rng, unitVector } from './fixtures';

const next = rng(11);
const points = Array.from({ length: 200 }, () => unitVector(next));
const query = unitVector(next);
const keys = BigUint64Array.from(points, (_, i) => BigInt(i));
const flat = () => {
  const out = new Float32Array(points.length * DIM);
  points.forEach((p, i) => out.set(p, i * DIM));
  return out;
};

describe('a usearch graph on the event loop', () => {
  it('answers searches between the slices of a large add, and builds the same graph', async () => {
    const graph = new InlineGraph(F32_GRAPH, {
      thread: false,
      batchThreads: 1,
      addSlice: 16,
      nice: 0,
    });
    const order: string[] = [];
    const adding = graph.add(keys, flat(), 1).then(() => order.push('add'));
    const sizeMeanwhile = await graph.size();
    const search = graph.search(query, 3).then(() => order.push('search'));
    await Promise.all([adding, search]);
    expect(order).toEqual(['search', 'add']);
    expect(sizeMeanwhile).toBeLessThan(points.length);
    expect(await graph.size()).toBe(points.length);
    const alone = new Index(F32_GRAPH);
    alone.add(keys, flat(), 1);
    const found = await graph.search(query, 5);
    expect(Array.from(found.keys)).toEqual(Array.from(alone.search(query, 5, 1).keys));
  });

  it('refuses an add whose vectors do not match its keys, in one slice or many', async () => {
    const graph = new InlineGraph(F32_GRAPH, {
      thread: false,
      batchThreads: 1,
      addSlice: 16,
      nice: 0,
    });
    await expect(graph.add(keys.subarray(0, 4), new Float32Array(3 * DIM), 1)).rejects.toThrow();
    await expect(graph.add(keys, new Float32Array(150 * DIM), 1)).rejects.toThrow();
  });
});
