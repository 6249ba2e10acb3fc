import { Index, MetricKind, ScalarKind, type BatchMatches, type Matches } from 'usearch';

/** How a graph is built (usearch's options; the metric is always cosine, one vector per key). */
export interface GraphSpec {
  dimensions: number;
  quantization: 'f32' | 'i8';
  connectivity: number;
  expansionAdd: number;
  expansionSearch: number;
}

/** A query's nearest keys, nearest first, with usearch's cosine distances. */
export interface Neighbours {
  keys: BigUint64Array;
  distances: Float32Array;
}

/**
 * The HNSW graph of a vector index: keys and their vectors, nothing else (payloads and exact
 * vectors are the PointStore's). Every call is asynchronous so that the graph may live on a
 * thread of its own (graph-thread.ts); calls take effect in the order they were made.
 */
export interface Graph {
  /** Replaces the graph with a saved file, read into memory (`load`) or mapped (`view`). */
  read(path: string, mode: 'load' | 'view'): Promise<{ size: number; dimensions: number }>;
  add(keys: BigUint64Array, vectors: Float32Array, threads: number): Promise<void>;
  remove(keys: BigUint64Array): Promise<void>;
  contains(keys: BigUint64Array): Promise<boolean[]>;
  /** One search per query; a batch of two or more runs over `threads` (0: every core). */
  search(queries: Float32Array[], k: number, threads: number): Promise<Neighbours[]>;
  save(path: string): Promise<void>;
  /** Frees the graph; later calls fail. */
  close(): Promise<void>;
}

/** The usearch graph itself: synchronous native calls on the calling thread. */
export class NativeGraph {
  private index: Index | undefined;

  constructor(spec: GraphSpec) {
    this.index = new Index({
      dimensions: spec.dimensions,
      metric: MetricKind.Cos,
      quantization: spec.quantization === 'i8' ? ScalarKind.I8 : ScalarKind.F32,
      connectivity: spec.connectivity,
      expansion_add: spec.expansionAdd,
      expansion_search: spec.expansionSearch,
      multi: false,
    });
  }

  read(path: string, mode: 'load' | 'view') {
    const index = this.native();
    if (mode === 'view') index.view(path);
    else index.load(path);
    return { size: index.size(), dimensions: index.dimensions() };
  }

  add(keys: BigUint64Array, vectors: Float32Array, threads: number): void {
    this.native().add(keys, vectors, threads);
  }

  remove(keys: BigUint64Array): void {
    this.native().remove(keys);
  }

  contains(keys: BigUint64Array): boolean[] {
    if (keys.length === 0) return [];
    const present = this.native().contains(keys);
    return Array.isArray(present) ? present : [present];
  }

  search(queries: Float32Array[], k: number, threads: number): Neighbours[] {
    if (queries.length === 1) return [neighbours(this.native().search(queries[0]!, k, 1))];
    const found = this.native().search(queries, k, threads) as BatchMatches;
    return queries.map((_, i) => neighbours(found.get(i)));
  }

  save(path: string): void {
    this.native().save(path);
  }

  /** usearch frees its native memory when the wrapper is garbage-collected. */
  close(): void {
    this.index = undefined;
  }

  private native(): Index {
    if (!this.index) throw new Error('vector graph is closed');
    return this.index;
  }
}

const neighbours = (m: Matches): Neighbours => ({ keys: m.keys, distances: m.distances });

/** A NativeGraph on the calling thread, behind the asynchronous Graph interface. */
export function inlineGraph(spec: GraphSpec): Graph {
  const g = new NativeGraph(spec);
  const call = <R>(work: () => R): Promise<R> => {
    try {
      return Promise.resolve(work());
    } catch (err) {
      return Promise.reject(err as Error);
    }
  };
  return {
    read: (path, mode) => call(() => g.read(path, mode)),
    add: (keys, vectors, threads) => call(() => g.add(keys, vectors, threads)),
    remove: (keys) => call(() => g.remove(keys)),
    contains: (keys) => call(() => g.contains(keys)),
    search: (queries, k, threads) => call(() => g.search(queries, k, threads)),
    save: (path) => call(() => g.save(path)),
    close: () => call(() => g.close()),
  };
}
