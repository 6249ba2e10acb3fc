import type { JetStreamClient } from '@nats-io/jetstream';
import type { NatsConnection, Subscription } from '@nats-io/transport-node';
import { z } from 'zod';
import type { Logger, Metrics } from '../infra';
import { SystemId, UploadId } from '../schemas';
import { publishUploadRef } from './publish-ref';
import { fitsStateKey } from './state-store';

/** A MinIO notification is a few KiB; anything larger is not one. */
export const MAX_EVENT_BYTES = 64 * 1024;

/** The part of MinIO's event JSON (S3 event records) the watcher reads. */
const BucketEvent = z.looseObject({
  Records: z
    .array(
      z.looseObject({
        eventName: z.string().max(100),
        s3: z.looseObject({
          bucket: z.looseObject({ name: z.string().max(63) }),
          object: z.looseObject({ key: z.string().max(3072) }),
        }),
      }),
    )
    .min(1)
    .max(100),
});
type EventRecord = z.infer<typeof BucketEvent>['Records'][number];

const MANIFEST_KEY = /^systems\/([^/]+)\/uploads\/([^/]+)\/manifest\.json$/;

export type EventRejection =
  | 'too_large'
  | 'malformed'
  | 'other_bucket'
  | 'not_created'
  | 'not_manifest'
  | 'bad_id'
  | 'publish_failed';

/**
 * Bucket notifications (MinIO → core NATS): a manifest written to the watched bucket is
 * queued at once, instead of at the next poll. An event is only a hint: one lost, malformed
 * or never sent changes nothing but the delay, since polling stays the safety net.
 */
export class BucketEvents {
  private sub?: Subscription;
  private inFlight = new Set<Promise<void>>();

  constructor(
    private readonly deps: {
      nc: NatsConnection;
      js: JetStreamClient;
      metrics: Metrics;
      log: Logger;
    },
    private readonly opts: { bucket: string; subject: string },
  ) {}

  start(): void {
    this.sub = this.deps.nc.subscribe(this.opts.subject, {
      callback: (_err, msg) => {
        const handled = this.receive(msg.data);
        this.inFlight.add(handled);
        void handled.finally(() => this.inFlight.delete(handled));
      },
    });
  }

  async stop(): Promise<void> {
    this.sub?.unsubscribe();
    await Promise.all(this.inFlight);
  }

  private async receive(data: Uint8Array): Promise<void> {
    if (data.byteLength > MAX_EVENT_BYTES) return this.reject('too_large');
    let records: EventRecord[];
    try {
      records = BucketEvent.parse(JSON.parse(Buffer.from(data).toString('utf8'))).Records;
    } catch (err) {
      return this.reject('malformed', (err as Error).message);
    }
    for (const record of records) await this.handle(record);
  }

  private async handle(record: EventRecord): Promise<void> {
    if (record.s3.bucket.name !== this.opts.bucket) return this.reject('other_bucket');
    if (!/^s3:ObjectCreated:/.test(record.eventName)) return this.reject('not_created');
    const ids = manifestIds(record.s3.object.key);
    if (ids === 'not_manifest' || ids === 'bad_id') return this.reject(ids);
    try {
      const duplicate = await publishUploadRef(
        this.deps.js,
        this.opts.bucket,
        ids.systemId,
        ids.uploadId,
        'event',
      );
      if (!duplicate) this.deps.metrics.cloudUploadsSeen.inc({ via: 'event' });
      this.deps.log.debug({ ...ids, duplicate }, 'cloud upload queued by a bucket event');
    } catch (err) {
      this.reject('publish_failed', (err as Error).message);
    }
  }

  private reject(reason: EventRejection, detail?: string): void {
    this.deps.metrics.cloudEventsRejected.inc({ reason });
    this.deps.log.debug({ reason, detail }, 'bucket event ignored (polling finds what it meant)');
  }
}

/** The ids of a manifest key (URL-encoded in the event, `+` for a space). */
export function manifestIds(
  encodedKey: string,
): { systemId: string; uploadId: string } | 'not_manifest' | 'bad_id' {
  let key: string;
  try {
    key = decodeURIComponent(encodedKey.replace(/\+/g, ' '));
  } catch {
    return 'not_manifest';
  }
  const m = MANIFEST_KEY.exec(key);
  if (!m) return 'not_manifest';
  const [systemId, uploadId] = [m[1]!, m[2]!];
  const valid =
    SystemId.safeParse(systemId).success &&
    UploadId.safeParse(uploadId).success &&
    fitsStateKey(uploadId);
  return valid ? { systemId, uploadId } : 'bad_id';
}
