import { readdirSync, readFileSync } from 'node:fs';
import { Index } from 'usearch';
import { GraphThread, SEARCH_GROUP } from '../../../storage/vector-index/graph-thread';
import { DIM, F32_GRAPH, rng, unitVector } from './fixtures';

const config = F32_GRAPH;
const next = rng(7);
const points = Array.from({ length: 300 }, () => unitVector(next));
const queries = Array.from({ length: 2 * SEARCH_GROUP + 3 }, () => unitVector(next));
const keys = (from: number, to: number) =>
  BigUint64Array.from({ length: to - from }, (_, i) => BigInt(from + i));
const flat = (from: number, to: number) => {
  const out = new Float32Array((to - from) * DIM);
  for (let i = from; i < to; i++) out.set(points[i]!, (i - from) * DIM);
  return out;
};

/** The same points added on this thread, one thread: the answers a graph thread must give. */
const direct = new Index(config);
direct.add(keys(0, points.length), flat(0, points.length), 1);
const nearest = (q: Float32Array, k: number) => Array.from(direct.search(q, k, 1).keys);

/** Nice values of this process's threads (Linux: field 19 of /proc/self/task/<tid>/stat). */
function threadNiceValues(): number[] {
  return readdirSync('/proc/self/task').map((tid) => {
    const stat = readFileSync(`/proc/self/task/${tid}/stat`, 'utf8');
    return Number(stat.slice(stat.lastIndexOf(')') + 2).split(' ')[16]);
  });
}

describe('a usearch graph on a thread of its own', () => {
  let graph: GraphThread;

  beforeAll(async () => {
    // one thread: adds of one thread reserve one search context, and the graph equals `direct`
    graph = new GraphThread(config, { batchThreads: 1, nice: 0 });
    await graph.add(keys(0, points.length), flat(0, points.length), 1);
  });

  afterAll(() => graph.close());

  it('answers searches as the same graph built on this thread', async () => {
    expect(await graph.size()).toBe(points.length);
    const found = await graph.search(queries[0]!, 5);
    expect(Array.from(found.keys)).toEqual(nearest(queries[0]!, 5));
    expect(found.distances).toHaveLength(5);
  });

  it('answers searches made together, each with its own k', async () => {
    const [a, b, c] = await Promise.all([
      graph.search(queries[0]!, 5),
      graph.search(queries[1]!, 3),
      graph.search(queries[2]!, 8),
    ]);
    expect(Array.from(a.keys)).toEqual(nearest(queries[0]!, 5));
    expect(Array.from(b.keys)).toEqual(nearest(queries[1]!, 3));
    expect(Array.from(c.keys)).toEqual(nearest(queries[2]!, 8));
  });

  it('answers more searches of one turn than a group holds, each in its order', async () => {
    // three groups to the thread: two full ones and the rest at the end of the turn
    const ks = queries.map((_, i) => 1 + (i % 9));
    const found = await Promise.all(queries.map((q, i) => graph.search(q, ks[i]!)));
    found.forEach((m, i) => {
      expect(Array.from(m.keys)).toEqual(nearest(queries[i]!, ks[i]!));
      expect(m.distances).toHaveLength(ks[i]!);
    });
  });

  it('answers a search before the writes queued ahead of it', async () => {
    // many writes, built before the first is sent: the search is sent long before they are done
    const writes = Array.from({ length: 20 }, (_, i) => ({
      keys: keys(1000 + i * 50, 1050 + i * 50),
      vectors: flat(i * 10, i * 10 + 50),
    }));
    const order: string[] = [];
    const done = writes.map((w, i) =>
      graph.add(w.keys, w.vectors, 1).then(() => order.push(`add ${i}`)),
    );
    const search = graph.search(queries[1]!, 4).then(() => order.push('search'));
    await Promise.all([...done, search]);
    expect(order.indexOf('search')).toBeLessThan(order.indexOf('add 19'));
    expect(order.filter((o) => o.startsWith('add'))).toEqual(writes.map((_, i) => `add ${i}`));
    await graph.remove(keys(1000, 2000));
    expect(await graph.contains(BigUint64Array.of(1000n, 5n))).toEqual([false, true]);
  });

  it('answers a search between the slices of a large add, and builds the same graph', async () => {
    // ~1,200 slices of graph work, all sent before the search: it cannot come after them
    const many = Array.from({ length: 1200 }, () => unitVector(next));
    const vectors = () => {
      const out = new Float32Array(many.length * DIM);
      many.forEach((v, i) => out.set(v, i * DIM));
      return out;
    };
    const alone = new Index(config);
    alone.add(keys(0, many.length), vectors(), 1);
    const sliced = new GraphThread(config, { batchThreads: 1, nice: 0, addSlice: 1 });
    const order: string[] = [];
    await Promise.all([
      sliced.add(keys(0, many.length), vectors(), 1).then(() => order.push('add')),
      sliced.search(queries[0]!, 3).then(() => order.push('search')),
    ]);
    expect(order).toEqual(['search', 'add']);
    expect(await sliced.size()).toBe(many.length);
    for (const q of queries) {
      const found = await sliced.search(q, 5);
      expect(Array.from(found.keys)).toEqual(Array.from(alone.search(q, 5, 1).keys));
    }
    await sliced.close();
  });

  it('rejects a call the index refuses and goes on answering the next', async () => {
    await expect(graph.search(new Float32Array(DIM - 1), 5)).rejects.toThrow();
    expect(Array.from((await graph.search(queries[2]!, 2)).keys)).toEqual(nearest(queries[2]!, 2));
  });

  it('finishes the calls already made before it closes, and refuses later ones', async () => {
    const other = new GraphThread(config, { batchThreads: 1, nice: 0 });
    const adding = other.add(keys(0, 100), flat(0, 100), 1);
    await other.close();
    await expect(adding).resolves.toBeUndefined();
    await expect(other.size()).rejects.toThrow('closed');
  });

  it('runs at the nice value asked for, and is back at it after searching', async () => {
    const before = threadNiceValues();
    expect(before).not.toContain(7);
    const niced = new GraphThread(config, { batchThreads: 1, nice: 7, addSlice: 1 });
    await niced.size(); // the thread has started
    expect(threadNiceValues()).toContain(7);
    // searches while it adds: they run at this thread's priority where that is allowed
    await Promise.all([
      niced.add(keys(0, points.length), flat(0, points.length), 1),
      niced.search(queries[0]!, 3),
      niced.search(queries[1]!, 3),
    ]);
    expect(threadNiceValues()).toContain(7);
    await niced.close();
  });
});
