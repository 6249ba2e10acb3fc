import { availableParallelism } from 'node:os';
import type { Graph, Neighbours } from './graph';

interface Waiting {
  query: Float32Array;
  k: number;
  resolve: (m: Neighbours) => void;
  reject: (err: unknown) => void;
}

/**
 * Graph searches that arrive in the same turn of the event loop go to the graph as one batch
 * searched by every thread: a lone search runs on one thread only, so under concurrent
 * queries the other cores would stay idle. A search waits at most one turn.
 */
export class SearchBatcher {
  private queue: Waiting[] = [];
  private readonly threads: number;

  /** `threads`: for a batch of two or more (0 = every core this process may run on). */
  constructor(
    private readonly graph: () => Graph,
    threads: number,
  ) {
    this.threads = coresAllowed(threads);
  }

  search(query: Float32Array, k: number): Promise<Neighbours> {
    return new Promise((resolve, reject) => {
      this.queue.push({ query, k, resolve, reject });
      if (this.queue.length === 1) setImmediate(() => this.flush());
    });
  }

  private flush(): void {
    const batch = this.queue;
    this.queue = [];
    // one k for all: a search for more neighbours finds the fewer as well
    const k = Math.max(...batch.map((w) => w.k));
    this.graph()
      .search(
        batch.map((w) => w.query),
        k,
        batch.length === 1 ? 1 : this.threads,
      )
      .then(
        (found) => batch.forEach((w, i) => w.resolve(firstK(found[i]!, w.k))),
        (err: unknown) => batch.forEach((w) => w.reject(err)),
      );
  }
}

/**
 * usearch takes 0 as every core of the machine; this process may be allowed fewer (taskset, a
 * cpuset): threads beyond those only take turns on the same cores, each started per batch.
 */
const coresAllowed = (threads: number) => (threads === 0 ? availableParallelism() : threads);

function firstK(m: Neighbours, k: number): Neighbours {
  if (m.keys.length <= k) return m;
  return { keys: m.keys.subarray(0, k), distances: m.distances.subarray(0, k) };
}
