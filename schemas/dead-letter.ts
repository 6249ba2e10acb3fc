import { z } from 'zod';
import { type ErrorCode, ErrorCodes } from '../infra';

/** Payloads above this size go to an object store bucket; the letter holds a reference. */
export const MAX_INLINE_PAYLOAD_BYTES = 256 * 1024;

/** Where a payload too large to inline is kept: a JetStream Object Store object. */
export const PayloadRef = z.object({
  bucket: z.string(),
  name: z.string(),
  /** lower-case hex of the payload's sha256, checked before a requeue */
  sha256: z.string().regex(/^[0-9a-f]{64}$/),
  bytes: z.number().int().nonnegative(),
});
export type PayloadRef = z.infer<typeof PayloadRef>;

export const DeadLetterStage = z.enum(['validate', 'embed', 'write', 'graph', 'cloud']);
export type DeadLetterStage = z.infer<typeof DeadLetterStage>;

/**
 * akosha.dead-letter v1, published on akosha.dlq.<stage>. The payload is inline
 * (payload_base64) or referenced (payload_ref). payload_ref was added as an
 * optional field within v1: readers that do not know it still see a valid letter.
 */
export const DeadLetter = z.object({
  schema_version: z.literal(1),
  stage: DeadLetterStage,
  code: z.enum(Object.keys(ErrorCodes) as [ErrorCode, ...ErrorCode[]]),
  reason: z.string(),
  issues: z.array(z.object({ path: z.string(), message: z.string() })),
  stream: z.string(),
  stream_seq: z.number().int().nonnegative(),
  subject: z.string(),
  delivery_count: z.number().int().nonnegative(),
  upload_id: z.string().optional(),
  system_id: z.string().optional(),
  record_id: z.string().optional(),
  /** "message": the whole original message; "record": one record of a valid upload */
  payload_kind: z.enum(['message', 'record']),
  payload_base64: z.string().optional(),
  payload_ref: PayloadRef.optional(),
  payload_bytes: z.number().int().nonnegative(),
  failed_at: z.iso.datetime(),
});
export type DeadLetter = z.infer<typeof DeadLetter>;
