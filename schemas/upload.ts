import { z } from 'zod';
import { SystemId, UploadId } from './ids';
import { IsoTimestamp, MemoryRecord } from './record';

export const UPLOAD_SCHEMA_VERSION = 1;
export const MAX_RECORDS_PER_PART = 50_000;

export const UploadPart = z
  .object({ index: z.number().int().min(0), count: z.number().int().min(1).max(100_000) })
  .refine((p) => p.index < p.count, 'part.index must be below part.count');

/** Fields of an upload message other than its records, checked before any record. */
export const UploadEnvelope = z.object({
  schema_version: z.literal(UPLOAD_SCHEMA_VERSION),
  upload_id: UploadId,
  system_id: SystemId,
  created_at: IsoTimestamp,
  part: UploadPart.default({ index: 0, count: 1 }),
  source: z
    .object({ uploader: z.string().max(200), version: z.string().max(50) })
    .partial()
    .optional(),
  records: z.array(z.unknown()).min(1).max(MAX_RECORDS_PER_PART),
});

/**
 * akosha.upload v1, published on akosha.uploads.<shard>.<system_id>.
 * Records are checked one by one, so one bad record does not reject its neighbours.
 */
export const UploadMessage = UploadEnvelope.extend({
  records: z.array(MemoryRecord).min(1).max(MAX_RECORDS_PER_PART),
});

export type UploadEnvelope = z.infer<typeof UploadEnvelope>;
export type UploadMessage = z.input<typeof UploadMessage>;
export type UploadPart = z.infer<typeof UploadPart>;
