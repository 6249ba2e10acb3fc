import { z } from 'zod';
import { ErrorCodes, type ErrorCode } from '../infra/errors';

/** Payloads above this size stay in their source stream and are referenced by sequence. */
export const MAX_INLINE_PAYLOAD_BYTES = 256 * 1024;

export const DeadLetterStage = z.enum(['validate', 'embed', 'write']);
export type DeadLetterStage = z.infer<typeof DeadLetterStage>;

/** akosha.dead-letter v1, published on akosha.dlq.<stage>. */
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
  payload_bytes: z.number().int().nonnegative(),
  failed_at: z.iso.datetime(),
});
export type DeadLetter = z.infer<typeof DeadLetter>;
