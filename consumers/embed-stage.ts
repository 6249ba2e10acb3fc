import type { NatsConnection } from '@nats-io/transport-node';
import type { Embedder } from '../embedding';
import {
  AkoshaError,
  type IngestionStatus,
  type Logger,
  type Metrics,
  preciseNowMs,
  toAkoshaError,
} from '../infra';
import { groupOfShard, INGEST_CONSUMER, STREAM, subjects } from '../streams';
import type { BatchLoopOptions } from './batch-loop';
import type { HandOffPort } from './hand-off';
import { LoopGroup } from './loop-group';
import { guardCrashLoops } from './poison-guard';
import type { SuspectLog } from './suspects';
import type { PulledMsg } from './pulled-message';
import type { DeadLetterSink } from './dead-letters';
import { decodeUpload, type DecodedUpload } from './decode-upload';
import { embeddedMsgId, packChunks, toEmbeddedRecord } from './embedded-chunks';
import { embedRecords, type RecordVectors } from './embed-records';
import { settleFailure, type RetryPolicy, type Settlement } from './settle';
import { nextTrace, observeStage, storedAtMs, TRACE } from './stage-trace';

export interface EmbedStageOptions extends BatchLoopOptions {
  workers: number;
  maxMessageBytes: number;
  shardGroups: number;
  retry: RetryPolicy;
}

export interface EmbedStageDeps {
  nc: NatsConnection;
  /** marks of suspects handled alone (poison isolation); none: no isolation across crashes */
  suspects?: SuspectLog | undefined;
  /** the hand-off to the shard writers: bounded, retried publishes */
  handOff: HandOffPort;
  embedder: Embedder;
  deadLetters: DeadLetterSink;
  metrics: Metrics;
  log: Logger;
  /** the server's max_payload: embedded chunks are packed below it */
  maxPayloadBytes: number;
}

type Decoded = { msg: PulledMsg; upload: DecodedUpload } | { msg: PulledMsg; error: AkoshaError };

/**
 * Embed stage, consumer group "ingest" on akosha.uploads.>: validate, embed
 * (one embedder call per batch of messages), publish the records with their
 * vectors to akosha.embedded.<group>.<shard>, then ack the upload. Stateless:
 * run as many workers as the embedder needs.
 */
export class EmbedStage {
  private readonly loops: LoopGroup;

  constructor(
    private readonly deps: EmbedStageDeps,
    private readonly options: EmbedStageOptions,
  ) {
    this.loops = new LoopGroup(deps.nc, deps.log);
  }

  start(): Promise<void> {
    const target = { stream: STREAM.uploads, consumer: INGEST_CONSUMER };
    const workers = Array.from({ length: this.options.workers }, () => target);
    const deps = { ...this.deps, retry: this.options.retry };
    const handle = guardCrashLoops((batch) => this.handleBatch(batch), 'embed', deps);
    return this.loops.start(workers, this.options, handle);
  }

  /** Hand-offs stop retrying (an outage would hold the drain), then the loops drain. */
  stop(): Promise<void> {
    this.deps.handOff.close();
    return this.loops.stop();
  }

  async handleBatch(batch: PulledMsg[]): Promise<void> {
    const timer = this.deps.metrics.ingestDuration.startTimer({ stage: 'embed' });
    for (const msg of batch)
      observeStage(this.deps.metrics, 'upload_wait', storedAtMs(msg), msg.receivedAtMs);
    const decoded = batch.map((msg) => this.decode(msg));
    const good = decoded.filter(
      (d): d is Extract<Decoded, { upload: DecodedUpload }> => 'upload' in d,
    );
    let vectors: Map<DecodedUpload, RecordVectors[]> | undefined;
    try {
      vectors = await this.embedAll(good.map((g) => g.upload));
    } catch (err) {
      const failure = new AkoshaError('EMBEDDER_UNAVAILABLE', (err as Error).message, {
        cause: err,
      });
      await Promise.all(good.map((g) => this.fail(g.msg, failure, g.upload)));
    }
    await Promise.all(
      decoded.map((d) =>
        'error' in d
          ? this.fail(d.msg, d.error)
          : vectors
            ? this.forward(d.msg, d.upload, vectors.get(d.upload)!)
            : undefined,
      ),
    );
    timer();
  }

  private decode(msg: PulledMsg): Decoded {
    try {
      return { msg, upload: decodeUpload(msg.subject, msg.data, this.options.maxMessageBytes) };
    } catch (err) {
      return { msg, error: toAkoshaError(err) };
    }
  }

  /** One embedder call for every record in the batch that needs a vector. */
  private async embedAll(uploads: DecodedUpload[]): Promise<Map<DecodedUpload, RecordVectors[]>> {
    const timer = this.deps.metrics.embedDuration.startTimer({
      embedder: this.deps.embedder.info.name,
    });
    const { vectors, producerVectorsReplaced } = await embedRecords(uploads, this.deps.embedder);
    timer();
    if (producerVectorsReplaced > 0)
      this.deps.log.debug(
        { producerVectorsReplaced },
        'producer vectors of another model replaced',
      );
    return vectors;
  }

  private async forward(
    msg: PulledMsg,
    upload: DecodedUpload,
    vectors: RecordVectors[],
  ): Promise<void> {
    const records = upload.records.map((r, i) =>
      toEmbeddedRecord(r.record, vectors[i]!, vectors[i]!.fromProducer),
    );
    const chunks = packChunks(upload, records, {
      uploadSeq: msg.seq,
      embedder: this.deps.embedder.info,
      maxBytes: Math.min(this.deps.maxPayloadBytes, this.options.maxMessageBytes),
    });
    const group = groupOfShard(upload.shard, this.options.shardGroups);
    const stamps = {
      [TRACE.uploadStored]: storedAtMs(msg),
      [TRACE.embedReceived]: msg.receivedAtMs,
    };
    try {
      await Promise.all([
        ...chunks.map((c) =>
          this.deps.handOff.publish(
            subjects.embedded(group, upload.shard),
            JSON.stringify(c),
            embeddedMsgId(c),
            nextTrace(msg.headers, stamps),
          ),
        ),
        ...upload.rejected.map((r) => this.deadLetterRecord(msg, upload, r)),
      ]);
    } catch (err) {
      await this.fail(
        msg,
        new AkoshaError('PUBLISH_FAILED', (err as Error).message, { cause: err }),
        upload,
      );
      return;
    }
    msg.ack();
    observeStage(this.deps.metrics, 'embed', msg.receivedAtMs, preciseNowMs());
    this.countAccepted(msg);
    this.deps.metrics.ingestMessages.inc({ stage: 'embed', outcome: 'ok' });
    if (upload.rejected.length)
      this.deps.metrics.ingestRecords.inc({ outcome: 'rejected' }, upload.rejected.length);
  }

  private deadLetterRecord(
    msg: PulledMsg,
    upload: DecodedUpload,
    r: DecodedUpload['rejected'][number],
  ): Promise<void> {
    return this.deps.deadLetters.publish('validate', msg, r.error, {
      uploadId: upload.envelope.upload_id,
      systemId: upload.envelope.system_id,
      recordId: r.id ?? `#${r.index}`,
      recordPayload: Buffer.from(JSON.stringify(r.raw)),
    });
  }

  private async fail(msg: PulledMsg, err: AkoshaError, upload?: DecodedUpload): Promise<void> {
    const stage = err.retryable ? 'embed' : 'validate';
    const ctx = upload
      ? { uploadId: upload.envelope.upload_id, systemId: upload.envelope.system_id }
      : {};
    const outcome = await settleFailure(
      msg,
      err,
      stage,
      { ...this.deps, retry: this.options.retry },
      ctx,
    );
    this.deps.metrics.ingestMessages.inc({ stage: 'embed', outcome });
    this.deps.metrics.ingestionRequests.inc({ status: ingestionStatus(err, outcome) });
  }

  /** An upload handed off: its time since the broker stored it (queue wait and retries included). */
  private countAccepted(msg: PulledMsg): void {
    const { metrics } = this.deps;
    metrics.ingestionRequests.inc({ status: 'accepted' });
    const storedNs = msg.info.timestampNanos;
    if (storedNs)
      metrics.ingestionDuration.observe(Math.max(0, Date.now() - storedNs / 1e6) / 1000);
  }
}

/** Invalid input is rejected; a transient failure is retried, or failed once retries run out. */
function ingestionStatus(err: AkoshaError, settled: Settlement): IngestionStatus {
  if (settled === 'retried') return 'retried';
  return err.retryable ? 'failed' : 'rejected';
}
