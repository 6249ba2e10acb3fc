import { z } from 'zod';
import { SystemId, UploadId } from './ids';
import { EmbedderInfo } from './embedded';

/** Record-id lists in events are capped so that an event always fits one message. */
export const MAX_IDS_PER_EVENT = 1000;

/** akosha.ingested v1, published once per upload on akosha.ingested.<system_id>. */
export const IngestedEvent = z.object({
  schema_version: z.literal(1),
  upload_id: UploadId,
  system_id: SystemId,
  shard: z.number().int().min(0).max(255),
  parts: z.number().int().min(1),
  counts: z.object({
    received: z.number().int().nonnegative(),
    stored: z.number().int().nonnegative(),
    duplicate: z.number().int().nonnegative(),
    rejected: z.number().int().nonnegative(),
  }),
  record_ids: z.array(z.string()).max(MAX_IDS_PER_EVENT),
  duplicate_ids: z.array(z.string()).max(MAX_IDS_PER_EVENT),
  rejected_ids: z.array(z.string()).max(MAX_IDS_PER_EVENT),
  ids_truncated: z.boolean(),
  embedder: EmbedderInfo,
  completed_at: z.iso.datetime(),
});
export type IngestedEvent = z.infer<typeof IngestedEvent>;
