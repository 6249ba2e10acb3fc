import { listValue, type DuckDBConnection } from '@duckdb/node-api';
import { recordKey, type ChunkOutcome, type KnownRecords } from './write-plan';

/** Lookups a shard transaction makes when its filter says a key may already be there. */

export interface ChunkRow {
  partCount: number;
  chunkCount: number;
  /** uploads_completed has a row for its upload */
  completionRecorded: boolean;
  outcome: ChunkOutcome;
}

/** Every chunk row of the given uploads, with the upload's completion state. */
export async function chunkRows(
  conn: DuckDBConnection,
  db: string,
  uploads: string[],
): Promise<ChunkRow[]> {
  if (uploads.length === 0) return [];
  const reader = await conn.runAndReadAll(
    `SELECT c.*, d.upload_id IS NOT NULL AS recorded
     FROM ${db}.upload_chunks c LEFT JOIN ${db}.uploads_completed d USING (system_id, upload_id)
     WHERE list_contains($1, c.system_id || chr(31) || c.upload_id) ORDER BY c.part, c.chunk`,
    [listValue(uploads)],
  );
  return reader.getRowObjectsJS().map((r) => ({
    partCount: Number(r.part_count),
    chunkCount: Number(r.chunk_count),
    completionRecorded: Boolean(r.recorded),
    outcome: {
      systemId: String(r.system_id),
      uploadId: String(r.upload_id),
      part: Number(r.part),
      chunk: Number(r.chunk),
      stored: r.stored_ids as string[],
      duplicate: r.duplicate_ids as string[],
      rejected: r.rejected_ids as string[],
      redelivered: true,
    },
  }));
}

/**
 * Which of the given (system_id, id) / (system_id, content sha256) pairs the shard ever
 * stored, in any tier (the key index outlives the move to warm and cold).
 */
export async function knownRecords(
  conn: DuckDBConnection,
  db: string,
  candidates: { systemId: string; id: string; sha256: string }[],
): Promise<KnownRecords> {
  const known: KnownRecords = { keys: new Set(), contents: new Set() };
  if (candidates.length === 0) return known;
  const reader = await conn.runAndReadAll(
    `SELECT system_id, id, content_sha256 FROM ${db}.record_keys
     WHERE list_contains($1, system_id || chr(31) || id) OR list_contains($2, system_id || chr(31) || content_sha256)`,
    [
      listValue(candidates.map((c) => recordKey(c.systemId, c.id))),
      listValue(candidates.map((c) => recordKey(c.systemId, c.sha256))),
    ],
  );
  for (const row of reader.getRowObjectsJS()) {
    known.keys.add(recordKey(String(row.system_id), String(row.id)));
    known.contents.add(recordKey(String(row.system_id), String(row.content_sha256)));
  }
  return known;
}
