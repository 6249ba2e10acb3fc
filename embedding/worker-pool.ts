import { availableParallelism } from 'node:os';
import type { Worker } from 'node:worker_threads';
import { EMBEDDER_DEFAULTS, startWorker, workerThreadCode } from '../infra';
import type { EmbedderInfo } from '../schemas';
import type { Embedder } from './embedder';
import {
  loadTransformers,
  ModelEmbedder,
  resolveModelLocation,
  type ModelEmbedderOptions,
} from './model-embedder';

export type ToWorker = { type: 'embed'; id: number; texts: string[] } | { type: 'close' };
export type FromWorker =
  | { type: 'ready'; info: EmbedderInfo; maxTokens: number }
  | { type: 'error'; message: string }
  | { type: 'result'; id: number; vectors: Float32Array[] }
  | { type: 'failed'; id: number; message: string };

export interface WorkerPoolOptions extends ModelEmbedderOptions {
  /** worker threads, one ONNX session each (default: the number of cores) */
  workers?: number;
  /** each worker thread's nice value, set before its ONNX session starts (0: unchanged) */
  nice?: number;
}

/** What a worker thread starts with: its model's options and its nice value. */
export interface WorkerData extends ModelEmbedderOptions {
  nice: number;
}

interface Job {
  texts: string[];
  resolve: (vectors: Float32Array[]) => void;
  reject: (err: Error) => void;
}

interface Slot {
  /** undefined while a replacement for a dead worker starts */
  worker: Worker | undefined;
  job: Job | undefined;
}

const RESPAWN_DELAY_MS = 250;

/**
 * N ModelEmbedders in worker threads (one ONNX session each, 1 intra-op thread
 * by default), so that every core embeds. An embed() call is cut into jobs of
 * at most batchSize texts (fewer when that leaves a worker idle) which idle
 * workers take in turn; the vectors come back in input order. A worker that
 * dies fails its job (the embed stage naks and retries it) and is replaced;
 * while no worker is alive, embed() fails at once.
 */
export class WorkerPoolEmbedder implements Embedder {
  private readonly queue: Job[] = [];
  private closed: Error | undefined;
  private lastDeath: Error | undefined;
  private nextId = 0;

  private constructor(
    private readonly slots: Slot[],
    readonly info: EmbedderInfo,
    readonly maxTokens: number,
    private readonly batchSize: number,
    private readonly modelDir: string,
    private readonly workerOptions: WorkerData,
  ) {
    for (const slot of slots) this.watch(slot, slot.worker!);
  }

  static async start(options: WorkerPoolOptions): Promise<WorkerPoolEmbedder> {
    const { workers = availableParallelism(), allowRemote, nice = 0, ...modelOptions } = options;
    // a download happens once, here, not in every worker
    if (allowRemote) await (await ModelEmbedder.load({ ...modelOptions, allowRemote })).close();
    const perWorker: WorkerData = { intraOpThreads: 1, ...modelOptions, nice };
    const started = Array.from({ length: Math.max(1, workers) }, () =>
      startEmbeddingWorker(perWorker),
    );
    const results = await Promise.allSettled(started);
    const failed = results.find((r): r is PromiseRejectedResult => r.status === 'rejected');
    if (failed) {
      await Promise.all(
        results.map((r) => (r.status === 'fulfilled' ? r.value.worker.terminate() : undefined)),
      );
      throw failed.reason as Error;
    }
    const ready = results.map((r) => (r as PromiseFulfilledResult<StartedWorker>).value);
    const first = ready[0]!;
    return new WorkerPoolEmbedder(
      ready.map((r) => ({ worker: r.worker, job: undefined })),
      first.info,
      first.maxTokens,
      options.batchSize ?? EMBEDDER_DEFAULTS.batchSize,
      resolveModelLocation(options.model, options.cacheDir).dir,
      perWorker,
    );
  }

  get size(): number {
    return this.slots.length;
  }

  async embed(texts: readonly string[]): Promise<Float32Array[]> {
    if (this.closed) throw this.closed;
    if (texts.length === 0) return [];
    if (this.slots.every((s) => !s.worker))
      throw new Error(`no embedding worker alive: ${this.lastDeath?.message ?? 'starting'}`);
    const per = Math.max(1, Math.min(this.batchSize, Math.ceil(texts.length / this.slots.length)));
    const parts: Promise<Float32Array[]>[] = [];
    for (let i = 0; i < texts.length; i += per) {
      const slice = texts.slice(i, i + per);
      parts.push(
        new Promise((resolve, reject) => this.queue.push({ texts: slice, resolve, reject })),
      );
    }
    this.dispatch();
    return (await Promise.all(parts)).flat();
  }

  /** Token counts come from a tokenizer in this thread (loaded on first use; no ONNX session). */
  async countTokens(texts: readonly string[]): Promise<number[]> {
    return this.tokenCounter().then((c) => c(texts));
  }

  async close(): Promise<void> {
    this.closed ??= new Error('embedder pool is closed');
    this.failQueued(this.closed);
    await Promise.all(this.slots.map((s) => s.worker?.terminate()));
  }

  private countFn: Promise<(texts: readonly string[]) => number[]> | undefined;
  private tokenCounter(): Promise<(texts: readonly string[]) => number[]> {
    this.countFn ??= this.loadTokenCounter();
    return this.countFn;
  }

  private async loadTokenCounter(): Promise<(texts: readonly string[]) => number[]> {
    const { AutoTokenizer } = await loadTransformers();
    const tokenizer = await AutoTokenizer.from_pretrained(this.modelDir, {
      local_files_only: true,
    });
    return (texts) => texts.map((t) => tokenizer.encode(t, { add_special_tokens: false }).length);
  }

  private dispatch(): void {
    for (const slot of this.slots) {
      if (slot.job || !slot.worker) continue;
      const job = this.queue.shift();
      if (!job) return;
      slot.job = job;
      const msg: ToWorker = { type: 'embed', id: this.nextId++, texts: job.texts };
      slot.worker.postMessage(msg);
    }
  }

  private watch(slot: Slot, worker: Worker): void {
    worker.on('message', (msg: FromWorker) => {
      const job = slot.job;
      if (!job || (msg.type !== 'result' && msg.type !== 'failed')) return;
      slot.job = undefined;
      if (msg.type === 'result') job.resolve(msg.vectors);
      else job.reject(new Error(`embedding worker failed: ${msg.message}`));
      this.dispatch();
    });
    const die = (err: Error) => {
      if (slot.worker !== worker || this.closed) return;
      this.lastDeath = new Error(`embedding worker died: ${err.message}`, { cause: err });
      slot.worker = undefined;
      slot.job?.reject(this.lastDeath);
      slot.job = undefined;
      if (this.slots.every((s) => !s.worker)) this.failQueued(this.lastDeath);
      else this.dispatch();
      setTimeout(() => this.respawn(slot), RESPAWN_DELAY_MS).unref();
    };
    worker.on('error', die);
    worker.on('exit', (code) => die(new Error(`worker exited with code ${code}`)));
  }

  /** Replaces a dead worker; one that cannot start is tried again later. */
  private respawn(slot: Slot): void {
    if (this.closed) return;
    startEmbeddingWorker(this.workerOptions).then(
      ({ worker }) => {
        if (this.closed) return void worker.terminate();
        slot.worker = worker;
        this.watch(slot, worker);
        this.dispatch();
      },
      (err: Error) => {
        this.lastDeath = err;
        setTimeout(() => this.respawn(slot), RESPAWN_DELAY_MS * 8).unref();
      },
    );
  }

  private failQueued(err: Error): void {
    for (const job of this.queue.splice(0)) job.reject(err);
  }
}

interface StartedWorker {
  worker: Worker;
  info: EmbedderInfo;
  maxTokens: number;
}

function startEmbeddingWorker(options: WorkerData): Promise<StartedWorker> {
  const worker = startWorker(workerThreadCode(__dirname, 'worker-entry'), {
    eval: true,
    workerData: options,
  });
  return new Promise((resolve, reject) => {
    const onExit = (code: number) => reject(new Error(`embedding worker exited (${code})`));
    worker.once('error', reject);
    worker.once('exit', onExit);
    worker.once('message', (msg: FromWorker) => {
      worker.off('error', reject);
      worker.off('exit', onExit);
      if (msg.type === 'ready') resolve({ worker, info: msg.info, maxTokens: msg.maxTokens });
      else {
        void worker.terminate();
        reject(new Error(msg.type === 'error' ? msg.message : 'embedding worker did not start'));
      }
    });
  });
}
