import type { Consumer, JetStreamClient, JsMsg } from '@nats-io/jetstream';
import { backoffFor, deadLetter, type DeadLetterPublisher, type RetryPolicy } from '../consumers';
import { AkoshaError, type Logger, type Metrics, toAkoshaError } from '../infra';
import { CLOUD_CONSUMER, STREAM } from '../streams';
import { decodeUploadRef } from './decode-ref';
import type { PendingUploads } from './pending';
import type { CloudStateStore } from './state-store';
import type { CloudUploadRef, UploadState } from './types';

/** What one import published: the counts kept in the upload's state. */
export type ImportCounts = Pick<UploadState, 'records' | 'skipped' | 'entities' | 'relations'>;

export interface ImporterDeps {
  js: JetStreamClient;
  state: CloudStateStore;
  pending: PendingUploads;
  deadLetters: DeadLetterPublisher;
  metrics: Metrics;
  log: Logger;
  /** downloads and publishes one upload; AkoshaError not retryable = bad input */
  importUpload: (ref: CloudUploadRef) => Promise<ImportCounts>;
  /** the watcher lease: no message is taken while it does not hold */
  holds: () => boolean;
}

export interface ImporterOptions {
  bucket: string;
  retry: RetryPolicy;
  ackWaitMs: number;
}

const PULL_EXPIRES_MS = 2000;

/**
 * Pulls the `cloud` consumer one message at a time: the imports of one system run in
 * order, since the digest an import saves is the base of the next. A long import is kept
 * alive with working(). The upload's state is written before the ack, so a redelivery
 * after a crash in between finds it imported.
 */
export class CloudImporter {
  private stopping = false;
  private done: Promise<void> = Promise.resolve();

  constructor(
    private readonly deps: ImporterDeps,
    private readonly opts: ImporterOptions,
  ) {}

  start(): void {
    this.stopping = false;
    this.done = this.run().catch((err: unknown) => {
      this.deps.log.error({ err }, 'cloud importer stopped');
    });
  }

  /** Finishes the message in hand, takes no other. */
  async stop(): Promise<void> {
    this.stopping = true;
    await this.done;
  }

  private async run(): Promise<void> {
    const consumer = await this.deps.js.consumers.get(STREAM.cloud, CLOUD_CONSUMER);
    while (!this.stopping && this.deps.holds()) {
      const msg = await this.next(consumer);
      if (!msg) continue;
      if (this.stopping || !this.deps.holds()) {
        msg.nak();
        return;
      }
      await this.handle(msg).catch((err: unknown) => {
        this.deps.log.error({ err, seq: msg.seq }, 'cloud import settle failed; redelivered later');
      });
    }
  }

  private async next(consumer: Consumer): Promise<JsMsg | null> {
    try {
      return await consumer.next({ expires: PULL_EXPIRES_MS });
    } catch (err) {
      this.deps.log.warn({ err }, 'cloud consumer pull failed');
      await new Promise((r) => setTimeout(r, PULL_EXPIRES_MS));
      return null;
    }
  }

  async handle(msg: JsMsg): Promise<void> {
    let ref: CloudUploadRef;
    try {
      ref = decodeUploadRef(msg.subject, msg.data, this.opts.bucket);
    } catch (err) {
      await deadLetter(msg, toAkoshaError(err), 'cloud', this.settleDeps(), {});
      return;
    }
    if (msg.info.deliveryCount > this.opts.retry.maxDeliver) {
      const why = `delivered ${msg.info.deliveryCount} times without being settled`;
      return this.fail(msg, ref, new AkoshaError('RETRIES_EXHAUSTED', why));
    }
    if ((await this.deps.state.upload(ref.system_id, ref.upload_id))?.state === 'imported') {
      this.settled(ref);
      msg.ack();
      return;
    }
    const keepAlive = setInterval(() => msg.working(), Math.max(this.opts.ackWaitMs / 3, 100));
    try {
      await this.imported(msg, ref, await this.deps.importUpload(ref));
    } catch (err) {
      await this.settleError(msg, ref, toAkoshaError(err));
    } finally {
      clearInterval(keepAlive);
    }
  }

  private async imported(msg: JsMsg, ref: CloudUploadRef, counts: ImportCounts): Promise<void> {
    const at = new Date().toISOString();
    await this.deps.state.setUpload(ref.system_id, ref.upload_id, {
      state: 'imported',
      at,
      ...counts,
    });
    this.deps.metrics.cloudUploadsImported.inc();
    this.deps.metrics.cloudRecordsSkipped.inc(counts.skipped ?? 0);
    this.settled(ref);
    this.deps.log.info(
      { systemId: ref.system_id, uploadId: ref.upload_id, ...counts },
      'cloud upload imported',
    );
    msg.ack();
  }

  private async settleError(msg: JsMsg, ref: CloudUploadRef, err: AkoshaError): Promise<void> {
    const { maxDeliver, backoffMs } = this.opts.retry;
    if (!err.retryable) return this.fail(msg, ref, err);
    if (msg.info.deliveryCount < maxDeliver) {
      const delayMs = backoffFor(msg.info.deliveryCount, backoffMs);
      this.deps.log.warn(
        { err: err.message, uploadId: ref.upload_id, delayMs },
        'cloud import retried',
      );
      msg.nak(delayMs);
      return;
    }
    return this.fail(msg, ref, new AkoshaError('RETRIES_EXHAUSTED', `${err.code}: ${err.message}`));
  }

  /** Dead letter (with the object key), then state failed, then ack: the watcher moves on. */
  private async fail(msg: JsMsg, ref: CloudUploadRef, err: AkoshaError): Promise<void> {
    const keyed = err.message.includes(ref.manifest_key.slice(0, -'manifest.json'.length))
      ? err
      : new AkoshaError(err.code, `${ref.manifest_key}: ${err.message}`, { issues: err.issues });
    const ctx = { uploadId: ref.upload_id, systemId: ref.system_id };
    try {
      await this.deps.deadLetters.publish('cloud', msg, keyed, ctx);
    } catch (publishErr) {
      this.deps.log.error({ err: publishErr }, 'cloud dead letter failed; retrying message');
      msg.nak(backoffFor(msg.info.deliveryCount, this.opts.retry.backoffMs));
      return;
    }
    const at = new Date().toISOString();
    await this.deps.state.setUpload(ref.system_id, ref.upload_id, {
      state: 'failed',
      at,
      code: err.code,
      reason: keyed.message.slice(0, 1000),
    });
    this.deps.metrics.cloudUploadsFailed.inc({ code: err.code });
    this.settled(ref);
    this.deps.log.warn({ code: err.code, reason: keyed.message, ...ctx }, 'cloud upload failed');
    msg.ack();
  }

  private settled(ref: CloudUploadRef): void {
    this.deps.pending.settle(ref.system_id, ref.upload_id);
    this.deps.metrics.cloudLag.set(this.deps.pending.lagSeconds(Date.now()));
  }

  private settleDeps() {
    return { deadLetters: this.deps.deadLetters, retry: this.opts.retry, log: this.deps.log };
  }
}
