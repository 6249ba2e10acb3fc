import type { Embedder } from '../../embedding';
import { LimitError } from './errors';

/**
 * At most `concurrency` holders at once and `queue` waiting; anyone beyond is refused at
 * once (503 `busy` with Retry-After) instead of piling up behind the others.
 */
export class Semaphore {
  private active = 0;
  private readonly waiting: (() => void)[] = [];

  constructor(
    private readonly concurrency: number,
    private readonly queue: number,
    private readonly what: string,
  ) {}

  async run<T>(work: () => Promise<T>): Promise<T> {
    await this.acquire();
    try {
      return await work();
    } finally {
      this.release();
    }
  }

  get inUse(): { active: number; waiting: number } {
    return { active: this.active, waiting: this.waiting.length };
  }

  private acquire(): Promise<void> {
    if (this.active < this.concurrency) {
      this.active++;
      return Promise.resolve();
    }
    if (this.waiting.length >= this.queue)
      return Promise.reject(
        new LimitError(
          503,
          'busy',
          `too many ${this.what} requests at once: retry shortly`,
          { concurrency: this.concurrency, queue: this.queue },
          1,
        ),
      );
    return new Promise((resolve) => this.waiting.push(resolve));
  }

  private release(): void {
    const next = this.waiting.shift();
    if (next)
      next(); // the slot passes to the next waiter as is
    else this.active--;
  }
}

/**
 * The embedder behind the embedding endpoints: each embed call holds a slot of `gate`, so
 * these endpoints never take more of the shared embedder than the gate allows (ingest and
 * search use the embedder directly and are not held back). Closing it leaves the shared
 * embedder open.
 */
export function gateEmbedder(embedder: Embedder, gate: Semaphore): Embedder {
  return {
    get info() {
      return embedder.info;
    },
    embed: (texts) => gate.run(() => embedder.embed(texts)),
    close: () => Promise.resolve(),
  };
}
