/**
 * Reads before writes on one event loop. Searches mark themselves in flight (begin/end); write
 * work that runs on this thread (vector index adds, decoding, the hashing embedder) is cut
 * into bounded steps and awaits yieldToReads() between them. Waiting steps go on one per turn
 * of the event loop, so that I/O (a search request that just arrived) comes between any two,
 * and none while searches are in flight: a search waits for at most one step, not for whole
 * batches, nor for a burst of every writer's next step. While searches never pause, one step
 * still goes on every maxWaitMs, so ingest keeps moving.
 */
export class ReadPriority {
  private inFlight = 0;
  private readonly waiting: (() => void)[] = [];
  private scheduled = false;
  private timer: NodeJS.Timeout | undefined;
  private lastGrantMs = performance.now();

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
      if (--this.inFlight === 0) this.schedule();
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

  /** Between two steps of write work: resolves on a later turn, when this step's turn comes. */
  yieldToReads(): Promise<void> {
    return new Promise<void>((resolve) => {
      this.waiting.push(resolve);
      this.schedule();
    });
  }

  private schedule(): void {
    if (this.scheduled || this.waiting.length === 0) return;
    this.scheduled = true;
    setImmediate(() => this.grant());
  }

  /** One waiting step goes on, unless searches are in flight and it has not waited too long. */
  private grant(): void {
    this.scheduled = false;
    const overdueInMs = this.lastGrantMs + this.maxWaitMs - performance.now();
    if (this.inFlight > 0 && overdueInMs > 0) {
      this.timer ??= setTimeout(() => {
        this.timer = undefined;
        this.schedule();
      }, overdueInMs);
      return;
    }
    clearTimeout(this.timer);
    this.timer = undefined;
    this.lastGrantMs = performance.now();
    this.waiting.shift()?.();
    this.schedule();
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
