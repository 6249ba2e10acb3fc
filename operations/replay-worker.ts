/**
 * The replay's prepare step (decode, embed with the HashingEmbedder, chunk) in a
 * worker thread, so that it runs beside the shard writes on the main thread.
 * Its entry is the compiled .js or, from source, the .ts through tsx (see infra/entry-files.ts).
 */
import type { Worker } from 'node:worker_threads';
import { startWorker, workerThreadCode } from '../infra';
import type { PrepareLimits, PreparedBatch, RawUpload } from './replay-prepare';

export interface PrepareRequest {
  id: number;
  messages: RawUpload[];
  limits: PrepareLimits;
  dryRun: boolean;
}

export type PrepareReply = { id: number; batch: PreparedBatch } | { id: number; error: string };
/** What the worker posts once its modules are loaded, before any reply. */
export const PREPARE_WORKER_READY = 'ready';
/**
 * The worker's young generation: a batch makes many short-lived objects (decoded records, chunk
 * messages), and with V8's default the worker spent ~15 % of its time collecting them
 * (a CPU profile of `bench:replay`).
 */
const YOUNG_GENERATION_MB = 96;

export class PrepareWorker {
  private nextId = 0;
  private readonly waiting = new Map<number, (reply: PrepareReply) => void>();
  private failure: Error | undefined;
  /** the worker has loaded its modules (~0.5–1 s): a batch given now starts at once */
  ready = false;

  private constructor(private readonly worker: Worker) {
    worker.on('message', (reply: PrepareReply | typeof PREPARE_WORKER_READY) => {
      if (reply === PREPARE_WORKER_READY) return void (this.ready = true);
      this.waiting.get(reply.id)?.(reply);
      this.waiting.delete(reply.id);
    });
    worker.on('error', (err) => this.fail(err));
    worker.on('exit', (code) => this.fail(new Error(`replay worker exited (${code})`)));
  }

  static start(): PrepareWorker {
    const code = workerThreadCode(__dirname, 'replay-worker-entry');
    const resourceLimits = { maxYoungGenerationSizeMb: YOUNG_GENERATION_MB };
    return new PrepareWorker(startWorker(code, { eval: true, resourceLimits }));
  }

  prepare(messages: RawUpload[], limits: PrepareLimits, dryRun: boolean): Promise<PreparedBatch> {
    if (this.failure) return Promise.reject(this.failure);
    const id = this.nextId++;
    return new Promise((resolve, reject) => {
      this.waiting.set(id, (reply) =>
        'batch' in reply ? resolve(reply.batch) : reject(new Error(reply.error)),
      );
      this.worker.postMessage({ id, messages, limits, dryRun } satisfies PrepareRequest);
    });
  }

  async close(): Promise<void> {
    this.worker.removeAllListeners('exit');
    await this.worker.terminate();
  }

  private fail(err: Error): void {
    this.failure ??= err;
    for (const [id, answer] of this.waiting) answer({ id, error: err.message });
    this.waiting.clear();
  }
}
