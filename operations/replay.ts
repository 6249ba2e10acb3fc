import type { NatsConnection } from '@nats-io/transport-node';
import type { Embedder } from '../embedding';
import type { ChunkInput, DeferredIndex, DeferredIndexResult, HotStore } from '../storage';
import { openStreamReader, STREAM } from '../streams';
import { bulkSettings, type BulkSettings } from './checkpoints';
import { prepareBatch, type PreparedBatch, type RawUpload } from './replay-prepare';
import { PrepareWorker } from './replay-worker';
import { uploadsFilter, type UploadSelection } from './upload-filter';

export interface ReplayProgress {
  /** upload messages handled so far, of `total` */
  messages: number;
  total: number;
  records: number;
}

export interface ReplayOptions extends UploadSelection {
  nc: NatsConnection;
  /** opened by the caller; its shards must have no other writer (DuckDB: one writer per file) */
  store: HotStore;
  /** the live path's embedder: a record without a vector gets the vector it got there */
  embedder: Embedder;
  /** the embed stage's size limit (AKOSHA_MAX_MESSAGE_BYTES) */
  maxMessageBytes: number;
  /** the live path's chunk size: min(server max_payload, AKOSHA_MAX_MESSAGE_BYTES) */
  chunkMaxBytes: number;
  fromSeq?: number | undefined;
  since?: Date | undefined;
  dryRun?: boolean | undefined;
  /** upload bytes per embedder call and shard transaction; default 4 MiB */
  batchBytes?: number | undefined;
  /**
   * decode, embed and chunk in a worker thread, beside the writes (the
   * HashingEmbedder only: the worker builds its own; batches are prepared here
   * until it has loaded its modules); default false
   */
  workerThread?: boolean | undefined;
  onProgress?: ((p: ReplayProgress) => void) | undefined;
  /** a writer replaying into its own store: its lease, checked before each COMMIT */
  fence?: (() => boolean) | undefined;
}

export interface ReplaySummary {
  messages: number;
  /** distinct (system_id, upload_id) among the valid messages */
  uploads: number;
  records: { stored: number; duplicate: number; rejected: number };
  /** messages that fail validation (each already has its dead letter) */
  skipped: number;
  seconds: number;
  recordsPerSecond: number;
  dryRun: boolean;
  /** time in each step; they overlap, so they may add up to more than `seconds` */
  timings: {
    readSeconds: number;
    decodeSeconds: number;
    embedSeconds: number;
    writeSeconds: number;
    /** the one checkpoint per shard at the end (deferred while writing) */
    checkpointSeconds: number;
    /** the written shards' points staged in the vector index at the end (deferred while writing) */
    indexSeconds: number;
  };
  /** what the index re-sync added and removed; shards it could not re-sync are left stale */
  index?: Omit<DeferredIndexResult, 'seconds'> | undefined;
}

const READ_BATCH = 64;
const DEFAULT_BATCH_BYTES = 4 * 1024 * 1024;
/** batches prepared ahead of the one being written */
const PREPARED_AHEAD = 2;
/** the first batch's share of `batchBytes` (RampingBatches) */
const FIRST_BATCH_SHARE = 1 / 32;

/**
 * Rebuilds hot shards from AKOSHA_UPLOADS: the same decode, embedding, chunking
 * and idempotent shard transaction as the live path, so a record already present
 * counts as a duplicate and nothing is written twice. Publishes no events: the uploads
 * it completes stay in the shard's outbox, and `announcePending` (run after it, and by
 * the writer at start) announces those the live path never did, each once.
 * Batches are prepared ahead while earlier ones are written; writes keep stream order.
 * The written shards skip the vector index while it runs (searches miss their new rows
 * until it ends); at the end their points are staged at once (HotStore.deferIndex): searchable
 * when the replay returns, ranked exactly until the graph's background build takes them.
 */
export async function replayUploads(opts: ReplayOptions): Promise<ReplaySummary> {
  const started = performance.now();
  if (opts.workerThread && opts.embedder.info.name !== 'hashing')
    throw new Error('workerThread replays embed with the hashing embedder only');
  const reader = await openStreamReader(opts.nc, STREAM.uploads, {
    filter: uploadsFilter(opts),
    fromSeq: opts.fromSeq,
    since: opts.since,
  });
  const run = new ReplayRun(opts, reader.total);
  const deferred = opts.dryRun ? undefined : opts.store.deferIndex();
  run.deferred = deferred;
  const checkpoints = opts.dryRun ? undefined : await bulkSettings(opts.store);
  let streamed = false;
  try {
    await replayStream(run, reader, opts);
    streamed = true;
  } catch (err) {
    deferred?.abandon(); // left stale: the upkeep, their next write or the next open repairs them
    throw err;
  } finally {
    // the shards' checkpoints (DuckDB's threads) beside the index's staging (this thread)
    await Promise.all([
      checkpoints && run.checkpoint(checkpoints),
      streamed && deferred && run.finishIndex(deferred),
    ]);
  }
  return run.summary((performance.now() - started) / 1000);
}

/** Reads, prepares and writes every selected upload. */
async function replayStream(
  run: ReplayRun,
  reader: Awaited<ReturnType<typeof openStreamReader>>,
  opts: ReplayOptions,
): Promise<void> {
  const batches = new RampingBatches(opts.batchBytes ?? DEFAULT_BATCH_BYTES);
  try {
    let readStarted = performance.now();
    for await (const read of reader.batches(READ_BATCH)) {
      run.timings.readSeconds += (performance.now() - readStarted) / 1000;
      for (const { subject, seq, data } of read) batches.add({ subject, seq, data });
      for (let next = batches.take(); next; next = batches.take()) await run.submit(next);
      readStarted = performance.now();
    }
    await run.submit(batches.rest());
    await run.drain();
  } finally {
    await run.close();
  }
}

/**
 * Cuts the messages into batches of at least `target` bytes. The target starts at a share of
 * the largest and doubles up to it: the first write waits for a small batch, prepared while the
 * threads' code is still cold (~3× slower), instead of for three full ones.
 */
class RampingBatches {
  private pending: RawUpload[] = [];
  private bytes = 0;
  private target: number;

  constructor(private readonly maxBytes: number) {
    this.target = maxBytes * FIRST_BATCH_SHARE;
  }

  add(message: RawUpload): void {
    this.pending.push(message);
    this.bytes += message.data.byteLength;
  }

  /** The next batch of the target's size, if the messages make one. */
  take(): RawUpload[] | undefined {
    if (this.bytes < this.target) return undefined;
    let [count, bytes] = [0, 0];
    while (bytes < this.target) bytes += this.pending[count++]!.data.byteLength;
    this.bytes -= bytes;
    this.target = Math.min(this.maxBytes, this.target * 2);
    return this.pending.splice(0, count);
  }

  rest(): RawUpload[] {
    this.bytes = 0;
    return this.pending.splice(0);
  }
}

class ReplayRun {
  readonly timings = {
    readSeconds: 0,
    decodeSeconds: 0,
    embedSeconds: 0,
    writeSeconds: 0,
    checkpointSeconds: 0,
    indexSeconds: 0,
  };
  deferred: DeferredIndex | undefined;
  index: ReplaySummary['index'];
  /** shards written to */
  readonly shards = new Set<number>();
  private messages = 0;
  private skipped = 0;
  private valid = 0;
  private readonly uploads = new Set<string>();
  private readonly records = { stored: 0, duplicate: 0, rejected: 0 };
  private readonly prepared: Promise<PreparedBatch>[] = [];
  private readonly worker: PrepareWorker | undefined;

  constructor(
    private readonly opts: ReplayOptions,
    private readonly total: number,
  ) {
    this.worker = opts.workerThread ? PrepareWorker.start() : undefined;
  }

  /** Queues a batch for preparing; writes the oldest prepared batches beyond the look-ahead. */
  async submit(messages: RawUpload[]): Promise<void> {
    if (messages.length === 0) return;
    const limits = {
      maxMessageBytes: this.opts.maxMessageBytes,
      chunkMaxBytes: this.opts.chunkMaxBytes,
    };
    const dryRun = this.opts.dryRun === true;
    // prepared here until the worker has loaded its modules
    const prepared = this.worker?.ready
      ? this.worker.prepare(messages, limits, dryRun)
      : prepareBatch(messages, this.opts.embedder, limits, dryRun);
    prepared.catch(() => undefined); // awaited in order by writeNext
    this.prepared.push(prepared);
    while (this.prepared.length > PREPARED_AHEAD) await this.writeNext();
  }

  async drain(): Promise<void> {
    while (this.prepared.length > 0) await this.writeNext();
  }

  async close(): Promise<void> {
    await this.worker?.close();
  }

  /** One checkpoint per written shard (deferred while writing). */
  async checkpoint(checkpoints: BulkSettings): Promise<void> {
    const started = performance.now();
    await checkpoints.finish(this.shards);
    this.timings.checkpointSeconds = (performance.now() - started) / 1000;
  }

  async finishIndex(deferred: DeferredIndex): Promise<void> {
    const { seconds, ...index } = await deferred.finish();
    this.timings.indexSeconds = seconds;
    this.index = index;
  }

  private async writeNext(): Promise<void> {
    const batch = await this.prepared.shift()!;
    this.messages += batch.messages;
    this.skipped += batch.skipped;
    this.valid += batch.valid;
    this.records.rejected += batch.rejected;
    for (const u of batch.uploads) this.uploads.add(u);
    this.timings.decodeSeconds += batch.decodeSeconds;
    this.timings.embedSeconds += batch.embedSeconds;
    const started = performance.now();
    await Promise.all(batch.byShard.map(([shard, inputs]) => this.write(shard, inputs)));
    this.timings.writeSeconds += (performance.now() - started) / 1000;
    this.opts.onProgress?.({ messages: this.messages, total: this.total, records: this.valid });
  }

  private async write(shard: number, inputs: ChunkInput[]): Promise<void> {
    this.shards.add(shard);
    this.deferred?.defer(shard);
    const result = await this.opts.store.writeShard(shard, inputs, this.opts.fence);
    const received = inputs.reduce((n, i) => n + i.message.records.length, 0);
    const stored = result.chunks
      .filter((c) => !c.redelivered)
      .reduce((n, c) => n + c.stored.length, 0);
    this.records.stored += stored;
    this.records.duplicate += received - stored;
  }

  summary(seconds: number): ReplaySummary {
    const handled = this.opts.dryRun ? this.valid : this.records.stored + this.records.duplicate;
    return {
      messages: this.messages,
      uploads: this.uploads.size,
      records: { ...this.records },
      skipped: this.skipped,
      seconds,
      recordsPerSecond: seconds > 0 ? handled / seconds : 0,
      dryRun: this.opts.dryRun === true,
      timings: { ...this.timings },
      ...(this.index && { index: this.index }),
    };
  }
}
