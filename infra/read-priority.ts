/**
 * Reads before writes on one event loop. Searches mark themselves in flight (begin/end); write
 * work that runs on this thread (vector index adds, the hashing embedder) is cut into bounded
 * steps and awaits yieldToReads() between them. A step first lets pending I/O run (a search
 * request that just arrived is parsed and marks itself), then, while searches are in flight,
 * waits until they are answered: a search waits for at most the steps already started, not
 * for a whole batch. A step never waits longer than maxWaitMs, so ingest keeps moving under a
 * search load that never pauses.
 */
export class ReadPriority {
  private inFlight = 0;
  private waiters: (() => void)[] = [];

  constructor(readonly maxWaitMs: number) {}

  /** Searches in flight now. */
  get reads(): number {
    return this.inFlight;
  }

  /** Marks a read in flight; the returned function (idempotent) marks it answered. */
  begin(): () => void {
    this.inFlight++;
    let ended = false;
    return () => {
      if (ended) return;
      ended = true;
      if (--this.inFlight === 0) this.release();
    };
  }

  async track<T>(read: () => Promise<T>): Promise<T> {
    const end = this.begin();
    try {
      return await read();
    } finally {
      end();
    }
  }

  /** Between two steps of write work: pending I/O first, then no read in flight (or maxWaitMs). */
  async yieldToReads(): Promise<void> {
    await new Promise<void>((resolve) => setImmediate(resolve));
    if (this.inFlight === 0 || this.maxWaitMs === 0) return;
    await new Promise<void>((resolve) => {
      const done = () => {
        clearTimeout(timer);
        this.waiters = this.waiters.filter((w) => w !== done);
        resolve();
      };
      const timer = setTimeout(done, this.maxWaitMs);
      this.waiters.push(done);
    });
  }

  private release(): void {
    for (const done of this.waiters.slice()) done();
  }
}

/** How long one step of write work may hold the event loop (ms). */
export const WRITE_STEP_MS = 2;

/**
 * A checkpoint for a loop of write work: awaiting it yields to searches once the current
 * step has run `stepMs`, and costs a clock read otherwise.
 */
export function writeSteps(
  priority: ReadPriority = readPriority,
  stepMs = WRITE_STEP_MS,
): () => Promise<void> {
  let stepStarted = performance.now();
  return async () => {
    if (performance.now() - stepStarted < stepMs) return;
    await priority.yieldToReads();
    stepStarted = performance.now();
  };
}

/** How long a write step waits for the searches in flight, at most (ms). */
export const READ_PRIORITY_MAX_WAIT_MS = 20;

/** The process's one event loop has one priority between its searches and its writes. */
export const readPriority = new ReadPriority(READ_PRIORITY_MAX_WAIT_MS);
