import { availableParallelism } from 'node:os';
import type { BatchMatches, Index, Matches } from 'usearch';

interface Waiting {
  query: Float32Array;
  k: number;
  resolve: (m: Matches) => void;
  reject: (err: unknown) => void;
}

/**
 * Graph searches that arrive in the same turn of the event loop go to usearch as one batch
 * searched by every thread, at the turn's end (its check phase): one at a time, under
 * concurrent queries the other cores would stay idle. But while searches come one per turn
 * (one client, or a writer busy ingesting, whose turns last several milliseconds), the
 * first of a turn runs at once on the event loop's thread instead of waiting for the end.
 */
export class SearchBatcher {
  private queue: Waiting[] = [];
  private searchesThisTurn = 0;
  /** the last turn that searched had more than one search: batch every one */
  private concurrent = false;
  private readonly threads: number;

  /** `threads`: for a batch of two or more (0 = every core this process may run on). */
  constructor(
    private readonly index: () => Index,
    threads: number,
  ) {
    this.threads = coresAllowed(threads);
  }

  search(query: Float32Array, k: number): Promise<Matches> {
    if (this.searchesThisTurn++ === 0) setImmediate(() => this.endTurn());
    if (this.searchesThisTurn === 1 && !this.concurrent) {
      try {
        return Promise.resolve(this.searchAlone(query, k));
      } catch (err) {
        return Promise.reject(err as Error);
      }
    }
    return new Promise((resolve, reject) => {
      this.queue.push({ query, k, resolve, reject });
      if (this.queue.length === 1) setImmediate(() => this.flush());
    });
  }

  /** One search on the event loop's thread only. */
  private searchAlone(query: Float32Array, k: number): Matches {
    return this.index().search(query, k, 1);
  }

  private endTurn(): void {
    this.concurrent = this.searchesThisTurn > 1;
    this.searchesThisTurn = 0;
  }

  private flush(): void {
    const batch = this.queue;
    this.queue = [];
    try {
      const found = searchBatch(this.index(), batch, this.threads);
      batch.forEach((w, i) => w.resolve(found[i]!));
    } catch (err) {
      for (const w of batch) w.reject(err);
    }
  }
}

/**
 * Searches made together, as one usearch call over `threads` threads (one search: on the
 * calling thread only). Each gets its own k's nearest, in the order asked.
 */
export function searchBatch(
  index: Index,
  batch: readonly { query: Float32Array; k: number }[],
  threads: number,
): Matches[] {
  if (batch.length === 1) return [index.search(batch[0]!.query, batch[0]!.k, 1)];
  // one k for all: a search for more neighbours finds the fewer as well
  const k = Math.max(...batch.map((w) => w.k));
  const found = index.search(
    batch.map((w) => w.query),
    k,
    threads,
  ) as BatchMatches;
  return batch.map((w, i) => firstK(found.get(i), w.k));
}

/**
 * usearch takes 0 as every core of the machine; this process may be allowed fewer (taskset, a
 * cpuset): threads beyond those only take turns on the same cores, each started per batch.
 */
export const coresAllowed = (threads: number) => (threads === 0 ? availableParallelism() : threads);

function firstK(m: Matches, k: number): Matches {
  if (m.keys.length <= k) return m;
  return { keys: m.keys.subarray(0, k), distances: m.distances.subarray(0, k) };
}
