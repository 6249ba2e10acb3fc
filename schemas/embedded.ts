import { z } from 'zod';
import { RecordId, SystemId, UploadId } from './ids';
import { IsoTimestamp } from './record';
import { UploadPart } from './upload';

export const EmbedderInfo = z.object({
  name: z.string(),
  model: z.string(),
  dim: z.number().int().positive(),
});
export type EmbedderInfo = z.infer<typeof EmbedderInfo>;

export const EmbeddedRecord = z.object({
  id: RecordId,
  kind: z.enum(['conversation', 'reflection']),
  content: z.string(),
  content_sha256: z.string().regex(/^[0-9a-f]{64}$/),
  timestamp: IsoTimestamp,
  project: z.string().nullable(),
  tags: z.array(z.string()),
  metadata: z.record(z.string(), z.unknown()),
  /** little-endian float32, base64; L2-normalised */
  vector: z.string(),
  vector_source: z.enum(['producer', 'embedder']),
  /**
   * A text longer than the model's window: one vector per passage (overlapping,
   * token-aware), `vector` being their normalised mean. Absent when it fits.
   */
  passages: z
    .array(
      z.object({
        start: z.number().int().nonnegative(),
        end: z.number().int().positive(),
        /** little-endian float32, base64; L2-normalised */
        vector: z.string(),
      }),
    )
    .optional(),
});
export type EmbeddedRecord = z.infer<typeof EmbeddedRecord>;

/**
 * akosha.embedded v1: the records of one chunk of one upload part with their
 * vectors, published by the embed stage on akosha.embedded.<group>.<shard>.
 */
export const EmbeddedMessage = z.object({
  schema_version: z.literal(1),
  upload_id: UploadId,
  system_id: SystemId,
  shard: z.number().int().min(0).max(255),
  part: UploadPart,
  chunk: UploadPart,
  upload_seq: z.number().int().nonnegative(),
  embedder: EmbedderInfo,
  records: z.array(EmbeddedRecord),
  /** ids of records this part rejected (sent on chunk 0 only) */
  rejected_ids: z.array(z.string()),
});
export type EmbeddedMessage = z.infer<typeof EmbeddedMessage>;
