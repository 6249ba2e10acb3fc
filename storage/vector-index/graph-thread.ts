import { Worker } from 'node:worker_threads';
import { workerThreadCode } from '../../infra';
import type { Graph, GraphSpec, NativeGraph } from './graph';

type Op = 'create' | keyof Omit<NativeGraph, 'constructor'>;
export interface GraphCall {
  id: number;
  graph: number;
  op: Op;
  args: unknown[];
}
export type GraphReply = { id: number; result?: unknown; error?: string };

interface Waiting {
  resolve: (value: unknown) => void;
  reject: (err: Error) => void;
}

/**
 * One worker thread that holds the graphs of every index of the process that asked for one
 * (graph-worker.ts). Graph searches and inserts then run beside the event loop instead of on
 * it: the event loop's thread serves requests while the graph is searched, and ingest's
 * inserts no longer hold up searches there. The thread keeps the process alive only while a
 * call waits for it.
 */
class GraphThread {
  private readonly worker: Worker;
  private readonly waiting = new Map<number, Waiting>();
  private nextCall = 0;
  private nextGraph = 0;
  private stopped: Error | undefined;

  constructor(private readonly onStop: () => void) {
    this.worker = new Worker(workerThreadCode(__dirname, 'graph-worker'), { eval: true });
    this.worker.unref();
    this.worker.on('message', (reply: GraphReply) => this.settle(reply));
    this.worker.on('error', (err) => this.stop(err));
    this.worker.on('exit', (code) => this.stop(new Error(`vector graph thread exited (${code})`)));
  }

  newGraphId(): number {
    return this.nextGraph++;
  }

  call(graph: number, op: Op, args: unknown[]): Promise<unknown> {
    if (this.stopped) return Promise.reject(this.stopped);
    const id = this.nextCall++;
    if (this.waiting.size === 0) this.worker.ref();
    return new Promise((resolve, reject) => {
      this.waiting.set(id, { resolve, reject });
      this.worker.postMessage({ id, graph, op, args } satisfies GraphCall);
    });
  }

  private settle({ id, result, error }: GraphReply): void {
    const waiting = this.waiting.get(id);
    if (!waiting) return;
    this.waiting.delete(id);
    if (this.waiting.size === 0) this.worker.unref();
    if (error === undefined) waiting.resolve(result);
    else waiting.reject(new Error(error));
  }

  /** Its graphs are gone with it: their calls fail; new graphs get a new thread. */
  private stop(err: Error): void {
    if (this.stopped) return;
    this.stopped = err;
    this.onStop();
    for (const waiting of this.waiting.values()) waiting.reject(err);
    this.waiting.clear();
  }
}

let shared: GraphThread | undefined;

/** A graph on the process's graph thread (started at the first one). */
export function threadGraph(spec: GraphSpec): Graph {
  shared ??= new GraphThread(() => (shared = undefined));
  const thread = shared;
  const graph = thread.newGraphId();
  const call = <R>(op: Op, ...args: unknown[]) => thread.call(graph, op, args) as Promise<R>;
  // a failed create fails every later call on the graph ('vector graph is closed')
  call('create', spec).catch(() => undefined);
  return {
    read: (path, mode) => call('read', path, mode),
    add: (keys, vectors, threads) => call('add', keys, vectors, threads),
    remove: (keys) => call('remove', keys),
    contains: (keys) => call('contains', keys),
    search: (queries, k, threads) => call('search', queries, k, threads),
    save: (path) => call('save', path),
    close: () => call('close'),
  };
}
