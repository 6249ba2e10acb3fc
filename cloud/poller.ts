import type { S3Client } from '@aws-sdk/client-s3';
import type { JetStreamClient } from '@nats-io/jetstream';
import type { Clock, Logger, Metrics } from '../infra';
import { listSystems, listUploads, type ListedUpload } from './listing';
import type { PendingUploads } from './pending';
import { publishUploadRef } from './publish-ref';
import type { CloudStateStore } from './state-store';

export interface PollerDeps {
  s3: S3Client;
  js: JetStreamClient;
  state: CloudStateStore;
  pending: PendingUploads;
  metrics: Metrics;
  log: Logger;
  clock: Clock;
}

export interface PollerOptions {
  bucket: string;
  abandonAfterMs: number;
  /** systems listed at once */
  concurrency?: number;
}

/** A queued upload is queued again after this (the stream may have lost it: full, max_age). */
const REQUEUE_AFTER_MS = 15 * 60_000;

type Waiting = Map<string, { modifiedMs: number; queuedMs: number }>;

/**
 * One pass over the bucket: every system's uploads after its cursor. An upload with a
 * manifest and no state is queued for import; the cursor moves over the leading run of
 * settled uploads only (imported, failed, abandoned), so an upload still being written
 * (files, no manifest yet) is listed again until its manifest arrives or it is abandoned.
 */
export class DiscoveryPoller {
  constructor(
    private readonly deps: PollerDeps,
    private readonly opts: PollerOptions,
  ) {}

  async pollOnce(): Promise<void> {
    const { systems, badKeys } = await listSystems(this.deps.s3, this.opts.bucket);
    let bad = badKeys;
    const queue = [...systems];
    const worker = async () => {
      for (let id = queue.shift(); id !== undefined; id = queue.shift())
        bad += await this.pollSystem(id);
    };
    await Promise.all(Array.from({ length: this.opts.concurrency ?? 8 }, worker));
    this.deps.metrics.cloudBadKeys.set(bad);
  }

  /** Returns the bad keys it skipped. */
  private async pollSystem(systemId: string): Promise<number> {
    const { state, s3, pending } = this.deps;
    const cursor = await state.cursor(systemId);
    const listing = await listUploads(s3, this.opts.bucket, systemId, cursor);
    const waiting: Waiting = new Map();
    let settledRun = true;
    let next: string | undefined;
    for (const upload of listing.uploads) {
      const settled = await this.visit(systemId, upload, waiting);
      if (settled && settledRun) next = upload.lastKey;
      else settledRun = false;
    }
    pending.replace(systemId, waiting);
    if (next !== undefined && next !== cursor) await state.setCursor(systemId, next);
    return listing.badKeys;
  }

  /** Whether the upload is settled; queues it when its manifest is there. */
  private async visit(systemId: string, upload: ListedUpload, waiting: Waiting): Promise<boolean> {
    const { uploadId } = upload;
    if ((await this.deps.state.upload(systemId, uploadId)) !== undefined) return true;
    const now = this.deps.clock.now();
    if (upload.manifest) {
      const before = this.deps.pending.get(systemId, uploadId);
      const queuedMs =
        before && now - before.queuedMs < REQUEUE_AFTER_MS
          ? before.queuedMs
          : await this.queue(systemId, uploadId, now);
      waiting.set(uploadId, { modifiedMs: upload.manifest.modifiedMs, queuedMs });
      return false;
    }
    if (now - upload.newestModifiedMs <= this.opts.abandonAfterMs) return false;
    await this.deps.state.setUpload(systemId, uploadId, {
      state: 'abandoned',
      at: new Date(now).toISOString(),
      reason: 'files without a manifest past AKOSHA_SB_ABANDON_H',
    });
    this.deps.metrics.cloudUploadsAbandoned.inc();
    this.deps.log.warn({ systemId, uploadId }, 'cloud upload without a manifest abandoned');
    return true;
  }

  private async queue(systemId: string, uploadId: string, now: number): Promise<number> {
    const duplicate = await publishUploadRef(
      this.deps.js,
      this.opts.bucket,
      systemId,
      uploadId,
      'poll',
    );
    if (!duplicate) this.deps.metrics.cloudUploadsSeen.inc({ via: 'poll' });
    this.deps.log.debug({ systemId, uploadId, duplicate }, 'cloud upload queued');
    return now;
  }
}
