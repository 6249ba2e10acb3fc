import { listValue, type DuckDBConnection } from '@duckdb/node-api';
import { completeFromRows, type CompletedUpload } from './completion';
import { chunkRows } from './shard-queries';
import { uploadKey } from './write-plan';

/**
 * The outbox of ingest-complete events: `uploads_completed.event_published` is false
 * from the completing transaction until the event's publish was acknowledged.
 */

export interface UnannouncedUpload extends CompletedUpload {
  /** the lowest AKOSHA_UPLOADS sequence of its parts: when it was published */
  uploadSeq: number;
}

export interface UploadRef {
  systemId: string;
  uploadId: string;
}

/** Flags uploads as announced (their event publish was acknowledged). */
export async function flagAnnounced(
  conn: DuckDBConnection,
  db: string,
  uploads: UploadRef[],
): Promise<void> {
  if (uploads.length === 0) return;
  await conn.run(
    // rows flagged already are skipped whole row groups at a time (their min/max say so)
    `UPDATE ${db}.uploads_completed SET event_published = true
     WHERE NOT event_published AND list_contains($1, system_id || chr(31) || upload_id)`,
    [listValue(uploads.map((u) => uploadKey(u.systemId, u.uploadId)))],
  );
}

/** Completed uploads not announced yet and completed before `before`, oldest first. */
export async function unannouncedUploads(
  conn: DuckDBConnection,
  db: string,
  before: Date,
  limit: number,
): Promise<UnannouncedUpload[]> {
  const reader = await conn.runAndReadAll(
    `SELECT c.system_id, c.upload_id, min(k.upload_seq) AS seq
       FROM ${db}.uploads_completed c
       JOIN ${db}.upload_chunks k USING (system_id, upload_id)
      WHERE NOT c.event_published AND c.completed_at < $1::TIMESTAMP
      GROUP BY 1, 2 ORDER BY seq LIMIT ${Math.floor(limit)}`,
    [before.toISOString()],
  );
  const seqs = new Map(
    reader
      .getRowObjectsJS()
      .map((r) => [uploadKey(String(r.system_id), String(r.upload_id)), Number(r.seq)]),
  );
  const rows = await chunkRows(conn, db, [...seqs.keys()]);
  return completeFromRows(rows).map(({ upload }) => ({
    ...upload,
    uploadSeq: seqs.get(uploadKey(upload.systemId, upload.uploadId))!,
  }));
}

export interface IncompleteUpload {
  system_id: string;
  upload_id: string;
  /** chunks written, of the parts and chunks the upload was split into */
  chunks: number;
  first_written_at: string;
}

const incompleteSql = (db: string) =>
  `SELECT system_id, upload_id, count(*)::INTEGER AS chunks,
          strftime(min(k.recorded_at), '%Y-%m-%dT%H:%M:%S.%gZ') AS first_written_at
     FROM ${db}.upload_chunks k
    WHERE NOT EXISTS (SELECT 1 FROM ${db}.uploads_completed c
                       WHERE c.system_id = k.system_id AND c.upload_id = k.upload_id)
    GROUP BY 1, 2 HAVING min(k.recorded_at) < $1::TIMESTAMP`;

/** Uploads with some chunks written, none complete, the first written before `before`. */
export async function incompleteUploads(
  conn: DuckDBConnection,
  db: string,
  before: Date,
  limit: number,
): Promise<IncompleteUpload[]> {
  const reader = await conn.runAndReadAll(
    `${incompleteSql(db)} ORDER BY first_written_at LIMIT ${Math.floor(limit)}`,
    [before.toISOString()],
  );
  return reader.getRowObjectsJS().map((r) => ({
    system_id: String(r.system_id),
    upload_id: String(r.upload_id),
    chunks: Number(r.chunks),
    first_written_at: String(r.first_written_at),
  }));
}

/** How many uploads incompleteUploads would list, without a limit. */
export async function incompleteUploadCount(
  conn: DuckDBConnection,
  db: string,
  before: Date,
): Promise<number> {
  const reader = await conn.runAndReadAll(`SELECT count(*)::INTEGER FROM (${incompleteSql(db)})`, [
    before.toISOString(),
  ]);
  return Number(reader.getRows()[0]![0]);
}
