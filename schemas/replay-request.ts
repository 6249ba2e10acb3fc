import { z } from 'zod';
import { SHARD_COUNT, SystemId } from './ids';

/**
 * akosha.replay-request v1: `akosha replay --online` asks the writer that owns the shard
 * (on akosha.ops.replay.<group>) to replay it into its own open store. One shard: a
 * system's, or one named; the stream position as for the offline replay.
 */
export const ReplayRequest = z
  .object({
    schema_version: z.literal(1),
    shard: z
      .number()
      .int()
      .min(0)
      .max(SHARD_COUNT - 1)
      .optional(),
    system_id: SystemId.optional(),
    from_seq: z.number().int().positive().optional(),
    since: z.iso.datetime().optional(),
    batch_bytes: z.number().int().positive().optional(),
  })
  .refine((r) => r.shard !== undefined || r.system_id !== undefined, {
    message: 'an online replay names a shard or a system',
  });
export type ReplayRequest = z.infer<typeof ReplayRequest>;

/** The writer's answer: the replay's summary, or why it did not run. */
export type ReplayReply = { ok: true; summary: unknown } | { ok: false; error: string };
