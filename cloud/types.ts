import { z } from 'zod';
import { SystemId, UploadId } from '../schemas';

/** Session-Buddy's layout: `systems/<system_id>/uploads/<upload_id>/<file>`. */
export const SYSTEMS_PREFIX = 'systems/';
export const uploadsPrefix = (systemId: string) => `${SYSTEMS_PREFIX}${systemId}/uploads/`;
export const uploadPrefix = (systemId: string, uploadId: string) =>
  `${uploadsPrefix(systemId)}${uploadId}/`;
export const manifestKey = (systemId: string, uploadId: string) =>
  `${uploadPrefix(systemId, uploadId)}manifest.json`;

/**
 * akosha.cloud-upload v1 on akosha.cloud.uploads.<system_id>: an upload whose manifest is
 * in the bucket, to import. Nats-Msg-Id `cloud:<system_id>:<upload_id>`, so the poller and
 * bucket events finding it together queue it once; `akosha dlq requeue` sends it again.
 */
export const CloudUploadRef = z.object({
  schema_version: z.literal(1),
  bucket: z.string().min(3).max(63),
  system_id: SystemId,
  upload_id: UploadId,
  manifest_key: z.string().min(1).max(1024),
  found_at: z.iso.datetime(),
  /** how it was found */
  via: z.enum(['poll', 'event', 'requeue']),
});
export type CloudUploadRef = z.infer<typeof CloudUploadRef>;

export const cloudMsgId = (systemId: string, uploadId: string) => `cloud:${systemId}:${uploadId}`;

/** What the state bucket holds for one upload (key `upload.<system_id>.<upload_id>`). */
export interface UploadState {
  state: 'imported' | 'failed' | 'abandoned';
  at: string;
  /** failed: the dead-letter reason code */
  code?: string;
  reason?: string;
  records?: number;
  /** records the digest of the previous import already had */
  skipped?: number;
  entities?: number;
  relations?: number;
}
