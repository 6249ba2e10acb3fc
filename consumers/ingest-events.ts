import { type EmbedderInfo, type IngestedEvent, MAX_IDS_PER_EVENT } from '../schemas';
import type { CompletedUpload } from '../storage';

export function buildIngestedEvent(
  u: CompletedUpload,
  shard: number,
  embedder: EmbedderInfo,
): IngestedEvent {
  const cap = (ids: string[]) => ids.slice(0, MAX_IDS_PER_EVENT);
  return {
    schema_version: 1,
    upload_id: u.uploadId,
    system_id: u.systemId,
    shard,
    parts: u.parts,
    counts: {
      received: u.stored.length + u.duplicate.length + u.rejected.length,
      stored: u.stored.length,
      duplicate: u.duplicate.length,
      rejected: u.rejected.length,
    },
    record_ids: cap(u.stored),
    duplicate_ids: cap(u.duplicate),
    rejected_ids: cap(u.rejected),
    ids_truncated: [u.stored, u.duplicate, u.rejected].some(
      (ids) => ids.length > MAX_IDS_PER_EVENT,
    ),
    embedder,
    completed_at: new Date().toISOString(),
  };
}

export const ingestedMsgId = (u: CompletedUpload) => `ingested:${u.systemId}:${u.uploadId}`;
