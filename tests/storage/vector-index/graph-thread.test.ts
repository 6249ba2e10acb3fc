import { readdirSync, readFileSync } from 'node:fs';
import { Index } from 'usearch';
import { GraphThread } from '../../../storage/vector-index/graph-thread';
import { DIM, F32_GRAPH, rng, unitVector } from './fixtures';

const config = F32_GRAPH;
const next = rng(7);
const points = Array.from({ length: 300 }, () => unitVector(next));
const queries = Array.from({ length: 3 }, () => unitVector(next));
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

  it('answers a search before the writes queued ahead of it', async () => {
    const order: string[] = [];
    const extra = Array.from({ length: 3 }, (_, i) => 1000 + i * 100);
    const writes = extra.map((from, i) =>
      graph.add(keys(from, from + 100), flat(0, 100), 1).then(() => order.push(`add ${i + 1}`)),
    );
    const search = graph.search(queries[1]!, 4).then(() => order.push('search'));
    await Promise.all([...writes, search]);
    expect(order.indexOf('search')).toBeLessThan(order.indexOf('add 3'));
    expect(order.filter((o) => o.startsWith('add'))).toEqual(['add 1', 'add 2', 'add 3']);
    await graph.remove(keys(1000, 1300));
    expect(await graph.contains(BigUint64Array.of(1000n, 5n))).toEqual([false, true]);
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

  it('runs at the nice value asked for', async () => {
    const before = threadNiceValues();
    expect(before).not.toContain(7);
    const niced = new GraphThread(config, { batchThreads: 1, nice: 7 });
    await niced.size(); // the thread has started
    expect(threadNiceValues()).toContain(7);
    await niced.close();
  });
});
