import { Index } from 'usearch';
import { SearchBatcher } from '../../../storage/vector-index/search-batch';
import { DIM, F32_GRAPH, rng, unitVector } from './fixtures';

const next = rng(7);
const index = new Index(F32_GRAPH);
const points = Array.from({ length: 200 }, () => unitVector(next));
points.forEach((v, i) => index.add(BigInt(i), v));
const queries = Array.from({ length: 3 }, () => unitVector(next));
const nextTurn = () => new Promise((resolve) => setImmediate(resolve));
const direct = (q: Float32Array, k: number) => Array.from(index.search(q, k, 1).keys);

describe('graph searches batched per turn of the event loop', () => {
  const batcher = new SearchBatcher(() => index, 2);

  it('answers the first search of a turn at once and batches the others to its end', async () => {
    await nextTurn();
    const order: string[] = [];
    setImmediate(() => order.push('turn end'));
    const [a, b, c] = await Promise.all([
      batcher.search(queries[0]!, 5).then((m) => (order.push('first'), m)),
      batcher.search(queries[1]!, 3).then((m) => (order.push('second'), m)),
      batcher.search(queries[2]!, 5).then((m) => (order.push('third'), m)),
    ]);
    expect(order).toEqual(['first', 'turn end', 'second', 'third']);
    expect(Array.from(a.keys)).toEqual(direct(queries[0]!, 5));
    expect(Array.from(b.keys)).toEqual(direct(queries[1]!, 3));
    expect(Array.from(c.keys)).toEqual(direct(queries[2]!, 5));
  });

  it('batches every search of the turn after one that had several', async () => {
    await nextTurn(); // the first test's turn had three searches
    const order: string[] = [];
    setImmediate(() => order.push('turn end'));
    const found = await batcher.search(queries[1]!, 4).then((m) => (order.push('searched'), m));
    expect(order).toEqual(['turn end', 'searched']);
    expect(Array.from(found.keys)).toEqual(direct(queries[1]!, 4));
  });

  it('answers at once again once the searches come one per turn', async () => {
    await nextTurn(); // the turn before had one search
    const order: string[] = [];
    setImmediate(() => order.push('turn end'));
    await batcher.search(queries[1]!, 4).then(() => order.push('searched'));
    expect(order).toEqual(['searched']);
  });

  it('rejects a search the index refuses, on either path', async () => {
    await nextTurn();
    const wrong = new Float32Array(DIM - 1);
    await expect(batcher.search(wrong, 5)).rejects.toThrow();
    await expect(batcher.search(wrong, 5)).rejects.toThrow();
  });
});
