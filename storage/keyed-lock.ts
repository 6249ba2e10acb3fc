/** Runs tasks one at a time per key; tasks under different keys run concurrently. */
export class KeyedLock<K> {
  private readonly tails = new Map<K, Promise<unknown>>();

  run<T>(key: K, task: () => Promise<T>): Promise<T> {
    const previous = this.tails.get(key) ?? Promise.resolve();
    const next = previous.then(task, task);
    const tail = next.catch(() => undefined);
    this.tails.set(key, tail);
    void tail.then(() => {
      if (this.tails.get(key) === tail) this.tails.delete(key);
    });
    return next;
  }

  /** Whether a task under `key` runs or waits (true a little after it ends: a safe overestimate). */
  held(key: K): boolean {
    return this.tails.has(key);
  }
}

/** A fixed set of resources handed out one task at a time. */
export class Pool<T> {
  private readonly idle: T[];
  private readonly waiting: ((item: T) => void)[] = [];

  constructor(private readonly items: T[]) {
    this.idle = [...items];
  }

  /** Every resource, idle or not: for closing them once no task runs. */
  get all(): readonly T[] {
    return this.items;
  }

  async use<R>(task: (item: T) => Promise<R>): Promise<R> {
    const item = this.idle.pop() ?? (await new Promise<T>((resolve) => this.waiting.push(resolve)));
    try {
      return await task(item);
    } finally {
      const next = this.waiting.shift();
      if (next) next(item);
      else this.idle.push(item);
    }
  }
}

/**
 * Shared or exclusive turns: shared tasks run together; an exclusive one waits for them to
 * finish and runs alone, and while it waits no new shared task starts (it cannot starve).
 */
export class SharedExclusiveLock {
  private sharedRunning = 0;
  private exclusiveRunning = false;
  private exclusiveWaiting = 0;
  private wakers: (() => void)[] = [];

  async shared<T>(task: () => Promise<T>): Promise<T> {
    while (this.exclusiveRunning || this.exclusiveWaiting > 0) await this.turn();
    this.sharedRunning++;
    try {
      return await task();
    } finally {
      this.sharedRunning--;
      this.wakeAll();
    }
  }

  async exclusive<T>(task: () => Promise<T>): Promise<T> {
    this.exclusiveWaiting++;
    while (this.exclusiveRunning || this.sharedRunning > 0) await this.turn();
    this.exclusiveWaiting--;
    this.exclusiveRunning = true;
    try {
      return await task();
    } finally {
      this.exclusiveRunning = false;
      this.wakeAll();
    }
  }

  private turn(): Promise<void> {
    return new Promise((resolve) => this.wakers.push(resolve));
  }

  private wakeAll(): void {
    const wakers = this.wakers;
    this.wakers = [];
    for (const wake of wakers) wake();
  }
}
