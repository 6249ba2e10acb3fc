import type { Worker } from 'node:worker_threads';
import type { IndexConfig, Matches } from 'usearch';
import { setThreadNice, startWorker, workerThreadCode } from '../../infra';
import { coresAllowed } from './search-batch';

/** A call to the graph's thread (graph-worker-entry.ts). */
export type GraphCall = { id: number } & (
  | { op: 'add'; keys: BigUint64Array; vectors: Float32Array; threads: number }
  | { op: 'remove' | 'contains'; keys: BigUint64Array }
  /** a group of searches (SEARCH_GROUP at most): `queries` holds ks.length vectors end to end */
  | { op: 'search'; queries: Float32Array; ks: Uint32Array }
  | { op: 'size' | 'dimensions' }
  | { op: 'save' | 'load' | 'view'; path: string }
  /** an add whose slice failed: answered with its error, in its turn */
  | { op: 'failed'; error: string }
);

/** What the thread sends back: a call's answer, or once, at its start, who it is. */
export type GraphReply =
  { id: number; value?: unknown; error?: string } | { thread: GraphThreadInfo };

interface GraphThreadInfo {
  /** its Linux thread id (undefined elsewhere) */
  tid: number | undefined;
  /** the nice value of the thread that started it, and its own while it adds */
  normal: number;
  low: number;
}

export interface GraphWorkerData {
  config: IndexConfig;
  batchThreads: number;
  nice: number;
  addSlice: number;
}

/**
 * Points per native add call: a larger add is done in slices, and searches that came meanwhile
 * run between them. 32 points are 3–5 ms of graph work (int8, M 16, build ef 128).
 */
export const ADD_SLICE = 32;

/**
 * Searches per message to the thread: the thread starts on the first of a turn's searches
 * while the event loop still takes requests, and the answers come back a few at a time. With
 * a whole turn's searches in one message (~23 under 32 concurrent requests), the thread and
 * the event loop took turns, each idle about half the time (bench:query, 100k points).
 */
export const SEARCH_GROUP = 4;

type DistributiveOmit<T, K extends PropertyKey> = T extends unknown ? Omit<T, K> : never;

interface Waiting {
  resolve: (value: unknown) => void;
  reject: (err: Error) => void;
}

/** The answers to one search call, end to end: `counts[i]` neighbours for the i-th query. */
export interface PackedMatches {
  keys: BigUint64Array;
  distances: Float32Array;
  counts: Uint32Array;
}

interface PendingSearch {
  query: Float32Array;
  k: number;
  resolve: (m: Matches) => void;
  reject: (err: Error) => void;
}

/**
 * One usearch graph owned by a worker thread. Adds and removes are native work of a
 * millisecond or more per batch; on their own thread they no longer hold up the event loop,
 * which goes on serving requests (and a search meanwhile waits for one queued call at most).
 * The searches made in one turn of the event loop go to the thread SEARCH_GROUP at a time, one
 * message each way per group: the hand-off is paid per group, not per search.
 * Calls run in the order they are made, except searches, which go first, also between the
 * slices of a large add (a search never sees points of an add the caller has not seen done);
 * a group runs as one batch over `batchThreads` threads, one core fewer than this process may
 * use (the event loop's), at least one.
 * At a lower priority (`nice`), the graph's work yields the cores to the event loop's thread,
 * which answers requests, whenever both want to run. Its searches must not wait on that, so
 * where the system allows raising a thread's priority again (CAP_SYS_NICE), the thread
 * searches at the caller's priority, and a search made while it works raises it at once (the
 * slice under way finishes at that priority). The worker keeps the process alive only while a
 * call is waiting.
 */
export class GraphThread {
  private readonly worker: Worker;
  private readonly waiting = new Map<number, Waiting>();
  private nextId = 0;
  private pending: PendingSearch[] = [];
  private stopped?: Error;
  private idle?: () => void;
  /** who the thread is, once it said so; undefined again when it may not be raised */
  private thread: GraphThreadInfo | undefined;

  /**
   * `nice`: the thread's nice value (0 normal … 19 lowest), never raised above the caller's.
   * `addSlice`: the most points one native add call takes (ADD_SLICE).
   */
  constructor(
    config: IndexConfig,
    opts: { batchThreads: number; nice: number; addSlice?: number },
  ) {
    const workerData: GraphWorkerData = {
      config,
      // the event loop keeps a core: it takes up the answers while the thread searches
      batchThreads: Math.max(1, coresAllowed(opts.batchThreads) - 1),
      nice: opts.nice,
      addSlice: opts.addSlice ?? ADD_SLICE,
    };
    this.worker = startWorker(workerThreadCode(__dirname, 'graph-worker-entry'), {
      eval: true,
      workerData,
    });
    this.worker.unref();
    this.worker.on('message', (r: GraphReply) => this.settle(r));
    this.worker.on('error', (err) => this.stop(err));
    this.worker.on('exit', (code) => this.stop(new Error(`graph thread exited (code ${code})`)));
  }

  /** `vectors` is moved to the worker: the caller must not use it after. */
  add(keys: BigUint64Array, vectors: Float32Array, threads: number): Promise<void> {
    return this.call({ op: 'add', keys, vectors, threads }, [vectors.buffer as ArrayBuffer]);
  }

  remove(keys: BigUint64Array): Promise<void> {
    return this.call({ op: 'remove', keys });
  }

  contains(keys: BigUint64Array): Promise<boolean[]> {
    return this.call({ op: 'contains', keys });
  }

  search(query: Float32Array, k: number): Promise<Matches> {
    return new Promise((resolve, reject) => {
      this.pending.push({ query, k, resolve, reject });
      if (this.pending.length === SEARCH_GROUP) this.sendSearches();
      else if (this.pending.length === 1) setImmediate(() => this.sendSearches());
    });
  }

  size(): Promise<number> {
    return this.call({ op: 'size' });
  }

  dimensions(): Promise<number> {
    return this.call({ op: 'dimensions' });
  }

  save(path: string): Promise<void> {
    return this.call({ op: 'save', path });
  }

  /** Reads a saved graph into memory. */
  load(path: string): Promise<void> {
    return this.call({ op: 'load', path });
  }

  /** Maps a saved graph read-only. */
  view(path: string): Promise<void> {
    return this.call({ op: 'view', path });
  }

  /** Lets the calls already made finish, then stops the thread (its graph's memory is freed). */
  async close(): Promise<void> {
    if (this.pending.length > 0) this.sendSearches();
    if (this.waiting.size > 0) await new Promise<void>((resolve) => (this.idle = resolve));
    this.stopped ??= new Error('graph thread closed');
    this.raisePriority(); // its teardown must not wait behind busy threads of normal priority
    await this.worker.terminate();
  }

  /** The searches waiting (a full group, or the last of a turn's), as one call. */
  private sendSearches(): void {
    if (this.pending.length === 0) return;
    const batch = this.pending;
    this.pending = [];
    if (this.waiting.size > 0) this.raisePriority();
    const d = batch[0]!.query.length;
    const queries = new Float32Array(batch.length * d);
    batch.forEach((s, i) => queries.set(s.query, i * d));
    const ks = Uint32Array.from(batch, (s) => s.k);
    this.call<PackedMatches>({ op: 'search', queries, ks }, [queries.buffer]).then(
      (found) => unpackMatches(found).forEach((m, i) => batch[i]!.resolve(m)),
      (err: Error) => batch.forEach((s) => s.reject(err)),
    );
  }

  /** The thread works at its low priority: raise it; it lowers itself after its next search. */
  private raisePriority(): void {
    const t = this.thread;
    if (t?.tid === undefined || t.low <= t.normal) return;
    if (!setThreadNice(t.tid, t.normal)) this.thread = undefined;
  }

  private call<T>(message: DistributiveOmit<GraphCall, 'id'>, transfer: ArrayBuffer[] = []) {
    if (this.stopped) return Promise.reject(this.stopped);
    const id = this.nextId++;
    if (this.waiting.size === 0) this.worker.ref();
    return new Promise<T>((resolve, reject) => {
      this.waiting.set(id, { resolve: resolve as (v: unknown) => void, reject });
      this.worker.postMessage({ ...message, id }, transfer);
    });
  }

  private settle(reply: GraphReply): void {
    if ('thread' in reply) {
      this.thread = reply.thread;
      return;
    }
    const { id, value, error } = reply;
    const waiting = this.waiting.get(id);
    if (!waiting) return;
    this.waiting.delete(id);
    if (this.waiting.size === 0) {
      this.worker.unref();
      this.idle?.();
    }
    if (error === undefined) waiting.resolve(value);
    else waiting.reject(new Error(error));
  }

  private stop(err: Error): void {
    this.stopped ??= err;
    for (const w of this.waiting.values()) w.reject(this.stopped);
    this.waiting.clear();
    this.idle?.();
  }
}

/** Each query's answer, as views of the packed arrays. */
export function unpackMatches(found: PackedMatches): Matches[] {
  let at = 0;
  return Array.from(found.counts, (count) => {
    const m = {
      keys: found.keys.subarray(at, at + count),
      distances: found.distances.subarray(at, at + count),
    };
    at += count;
    return m;
  });
}

/** Answers end to end (PackedMatches), in the order given. */
export function packMatches(found: readonly Matches[]): PackedMatches {
  const counts = Uint32Array.from(found, (m) => m.keys.length);
  const total = counts.reduce((n, c) => n + c, 0);
  const keys = new BigUint64Array(total);
  const distances = new Float32Array(total);
  let at = 0;
  for (const m of found) {
    keys.set(m.keys, at);
    distances.set(m.distances, at);
    at += m.keys.length;
  }
  return { keys, distances, counts };
}
