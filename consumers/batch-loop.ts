import type { Consumer, ConsumerMessages, JsMsg } from '@nats-io/jetstream';

export interface BatchLoopOptions {
  batchSize: number;
  /** how long to wait for more messages once the first of a batch arrived */
  batchLingerMs: number;
}

const LINGER_EXPIRED = Symbol('linger');

/**
 * Pulls from a durable consumer and hands messages over in batches: as many as
 * are already buffered, up to batchSize, waiting at most lingerMs for more.
 * Batches are handled one after another; `stop()` ends the pull, the batch in
 * hand is finished, and `done` resolves after it.
 */
export class BatchLoop {
  private messages?: ConsumerMessages;
  private stopping = false;
  done: Promise<void> = Promise.resolve();

  constructor(
    private readonly consumer: Consumer,
    private readonly options: BatchLoopOptions,
    private readonly handle: (batch: JsMsg[]) => Promise<void>,
  ) {}

  async start(): Promise<void> {
    this.messages = await this.consumer.consume({ max_messages: this.options.batchSize * 2 });
    this.done = this.run(this.messages[Symbol.asyncIterator]());
  }

  private async run(it: AsyncIterator<JsMsg>): Promise<void> {
    let pending: Promise<IteratorResult<JsMsg>> | undefined;
    while (!this.stopping) {
      const first = await (pending ?? it.next());
      pending = undefined;
      if (first.done) return;
      const batch = [first.value];
      const deadline = performance.now() + this.options.batchLingerMs;
      while (batch.length < this.options.batchSize && !this.stopping) {
        const next = it.next();
        const result = await raceDeadline(next, deadline);
        if (result === LINGER_EXPIRED) {
          pending = next;
          break;
        }
        if (result.done) break;
        batch.push(result.value);
      }
      await this.handle(batch);
    }
  }

  async stop(): Promise<void> {
    this.stopping = true;
    await this.messages?.close();
    await this.done;
  }
}

function raceDeadline<T>(
  promise: Promise<T>,
  deadline: number,
): Promise<T | typeof LINGER_EXPIRED> {
  const ms = Math.max(0, deadline - performance.now());
  let timer: NodeJS.Timeout | undefined;
  const expired = new Promise<typeof LINGER_EXPIRED>((resolve) => {
    timer = setTimeout(() => resolve(LINGER_EXPIRED), ms);
  });
  return Promise.race([promise, expired]).finally(() => clearTimeout(timer));
}
