import { Worker } from 'node:worker_threads';
import type { IndexConfig, Matches } from 'usearch';
import { coresAllowed } from './search-batch';

// Plain JavaScript: a worker of eval'd code runs without the TypeScript loader.
const GRAPH_WORKER = `
const { parentPort, workerData } = require('node:worker_threads');
const { Index } = require(workerData.usearch);
const os = require('node:os');
// on Linux a nice value is the calling thread's; usearch's threads inherit it
if (workerData.nice > os.getPriority(0)) {
  try {
    os.setPriority(0, workerData.nice);
  } catch {
    // not allowed here (a container's seccomp profile): the graph works, unprioritised
  }
}
const index = new Index(workerData.config);
const searches = [];
const calls = [];
let scheduled = false;

parentPort.on('message', (m) => {
  (m.op === 'search' ? searches : calls).push(m);
  schedule();
});

function schedule() {
  if (scheduled || (searches.length === 0 && calls.length === 0)) return;
  scheduled = true;
  setImmediate(drain);
}

// Every waiting search first, in one batch, then one other call: a search waits for one
// call at most, however many writes are queued.
function drain() {
  scheduled = false;
  if (searches.length > 0) searchAll(searches.splice(0));
  const call = calls.shift();
  if (call) answer(call.id, () => OPS[call.op](call));
  schedule();
}

function searchAll(batch) {
  if (batch.length === 1) {
    const [m] = batch;
    return answer(m.id, () => matches(index.search(m.query, m.k, 1), m.k));
  }
  // one k for all: a search for more neighbours finds the fewer as well
  const k = Math.max(...batch.map((m) => m.k));
  let found;
  try {
    found = index.search(batch.map((m) => m.query), k, workerData.batchThreads);
  } catch (err) {
    for (const m of batch) answer(m.id, () => { throw err; });
    return;
  }
  batch.forEach((m, i) => answer(m.id, () => matches(found.get(i), m.k)));
}

const matches = (m, k) => ({ keys: m.keys.slice(0, k), distances: m.distances.slice(0, k) });

const OPS = {
  add: (m) => index.add(m.keys, m.vectors, m.threads),
  remove: (m) => { index.remove(m.keys); },
  contains: (m) => [].concat(index.contains(m.keys)),
  size: () => index.size(),
  dimensions: () => index.dimensions(),
  save: (m) => index.save(m.path),
  load: (m) => index.load(m.path),
  view: (m) => index.view(m.path),
};

function answer(id, run) {
  try {
    parentPort.postMessage({ id, value: run() });
  } catch (err) {
    parentPort.postMessage({ id, error: String((err && err.message) || err) });
  }
}
`;

interface Answer {
  id: number;
  value?: unknown;
  error?: string;
}

interface Waiting {
  resolve: (value: unknown) => void;
  reject: (err: Error) => void;
}

/**
 * One usearch graph owned by a worker thread. Adds and removes are native work of a
 * millisecond or more per batch; on their own thread they no longer hold up the event loop,
 * which goes on serving requests (and a search meanwhile waits for one queued call at most).
 * Calls run in the order they are made, except searches, which go first; searches waiting
 * together run as one batch over `batchThreads` threads (0: every core this process may use).
 * At a lower priority (`nice`), the graph's work yields the cores to the event loop's thread,
 * which answers requests, whenever both want to run. The worker keeps the process alive only
 * while a call is waiting.
 */
export class GraphThread {
  private readonly worker: Worker;
  private readonly waiting = new Map<number, Waiting>();
  private nextId = 0;
  private stopped?: Error;
  private idle?: () => void;

  /** `nice`: the thread's nice value (0 normal … 19 lowest), never raised above the caller's. */
  constructor(config: IndexConfig, opts: { batchThreads: number; nice: number }) {
    const usearch = require.resolve('usearch');
    const batchThreads = coresAllowed(opts.batchThreads);
    this.worker = new Worker(GRAPH_WORKER, {
      eval: true,
      workerData: { usearch, config, batchThreads, nice: opts.nice },
    });
    this.worker.unref();
    this.worker.on('message', (a: Answer) => this.settle(a));
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
    return this.call({ op: 'search', query, k });
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
    if (this.waiting.size > 0) await new Promise<void>((resolve) => (this.idle = resolve));
    this.stopped ??= new Error('graph thread closed');
    await this.worker.terminate();
  }

  private call<T>(message: { op: string } & Record<string, unknown>, transfer: ArrayBuffer[] = []) {
    if (this.stopped) return Promise.reject(this.stopped);
    const id = this.nextId++;
    if (this.waiting.size === 0) this.worker.ref();
    return new Promise<T>((resolve, reject) => {
      this.waiting.set(id, { resolve: resolve as (v: unknown) => void, reject });
      this.worker.postMessage({ ...message, id }, transfer);
    });
  }

  private settle({ id, value, error }: Answer): void {
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
