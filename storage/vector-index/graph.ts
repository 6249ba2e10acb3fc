import { Index, type IndexConfig, type Matches } from 'usearch';
import { yieldToEventLoop } from '../../infra';
import { GraphThread } from './graph-thread';
import { SearchBatcher } from './search-batch';

/** A usearch graph, whichever thread it lives on. */
export interface Graph {
  /** `vectors` may be moved to another thread: the caller must not use it after. */
  add(keys: BigUint64Array, vectors: Float32Array, threads: number): Promise<void>;
  remove(keys: BigUint64Array): Promise<void>;
  contains(keys: BigUint64Array): Promise<boolean[]>;
  search(query: Float32Array, k: number): Promise<Matches>;
  size(): Promise<number>;
  dimensions(): Promise<number>;
  save(path: string): Promise<void>;
  /** Reads a saved graph into memory. */
  load(path: string): Promise<void>;
  /** Maps a saved graph read-only. */
  view(path: string): Promise<void>;
  close(): Promise<void>;
}

export interface GraphPlacement {
  /** on a worker thread of its own (GraphThread), else on the event loop's thread */
  thread: boolean;
  /** threads of a batch of searches (0: every core this process may run on) */
  batchThreads: number;
  /** the most points one native add call takes (ADD_SLICE on a thread, INLINE_ADD_SLICE here) */
  addSlice?: number;
  /** the graph thread's nice value */
  nice: number;
}

export function newGraph(config: IndexConfig, placement: GraphPlacement): Graph {
  return placement.thread ? new GraphThread(config, placement) : new InlineGraph(config, placement);
}

/**
 * Points per native add call on the event loop's thread: a bulk add (16,384 points) holds it
 * for tens of milliseconds at a time, not seconds; the adds of live ingest mostly go whole, as
 * more turns per transaction made searches under ingest wait longer (bench:query-under-ingest).
 */
export const INLINE_ADD_SLICE = 256;

/**
 * The graph on the event loop's thread: calls are native work done at once, searches of one
 * turn are batched (SearchBatcher). An add larger than `addSlice` points is done in slices with
 * a turn of the event loop between them, so a bulk add holds searches for one slice at a time.
 * No hand-off to another thread: the most searches per second a core can serve.
 */
export class InlineGraph implements Graph {
  private index: Index | undefined;
  private readonly searches: SearchBatcher;
  private readonly addSlice: number;

  constructor(config: IndexConfig, placement: GraphPlacement) {
    this.index = new Index(config);
    this.searches = new SearchBatcher(() => this.native, placement.batchThreads);
    this.addSlice = placement.addSlice ?? INLINE_ADD_SLICE;
  }

  private get native(): Index {
    if (!this.index) throw new Error('graph closed');
    return this.index;
  }

  async add(keys: BigUint64Array, vectors: Float32Array, threads: number): Promise<void> {
    if (keys.length <= this.addSlice) return this.native.add(keys, vectors, threads);
    const d = this.native.dimensions();
    for (let start = 0; start < keys.length; start += this.addSlice) {
      if (start > 0) await yieldToEventLoop();
      const end = Math.min(keys.length, start + this.addSlice);
      this.native.add(keys.subarray(start, end), vectors.subarray(start * d, end * d), threads);
    }
  }

  remove = (keys: BigUint64Array) => this.run(() => void this.native.remove(keys));
  contains = (keys: BigUint64Array) => this.run(() => [this.native.contains(keys)].flat());
  search = (query: Float32Array, k: number) => this.searches.search(query, k);
  size = () => this.run(() => this.native.size());
  dimensions = () => this.run(() => this.native.dimensions());
  save = (path: string) => this.run(() => this.native.save(path));
  load = (path: string) => this.run(() => this.native.load(path));
  view = (path: string) => this.run(() => this.native.view(path));

  async close(): Promise<void> {
    this.index = undefined; // usearch frees its native memory when the wrapper is collected
  }

  private run<T>(call: () => T): Promise<T> {
    try {
      return Promise.resolve(call());
    } catch (err) {
      return Promise.reject(err as Error);
    }
  }
}
