import { timestampValue, type DuckDBConnection } from '@duckdb/node-api';
import { writeRows } from './duckdb-insert';
import { chunkRows, type ChunkRow } from './shard-queries';
import { uploadKey, type ChunkInput, type ChunkOutcome } from './write-plan';

export interface CompletedUpload {
  systemId: string;
  uploadId: string;
  parts: number;
  stored: string[];
  duplicate: string[];
  rejected: string[];
  /**
   * this transaction recorded the completion; false when an earlier one did (a
   * redelivery), whose announcement is the outbox's to reconcile and make
   */
  completedNow: boolean;
}

/**
 * Finds the uploads this batch makes whole (or touches again on redelivery) and
 * records new completions. A single-chunk upload is whole by itself and needs no
 * query, unless `maybeRecorded` says its completion may be recorded already (sent
 * before split another way, or its chunk rows pruned); the rest are settled from
 * their chunk rows.
 */
export async function settleCompletions(
  conn: DuckDBConnection,
  db: string,
  fresh: { input: ChunkInput; outcome: ChunkOutcome }[],
  redelivered: ChunkInput[],
  maybeRecorded: (systemId: string, uploadId: string) => boolean,
): Promise<CompletedUpload[]> {
  const isWhole = ({ message: m }: ChunkInput) =>
    m.part.count === 1 && m.chunk.count === 1 && !maybeRecorded(m.system_id, m.upload_id);
  const direct = fresh.filter((f) => isWhole(f.input)).map((f) => summarise([f.outcome], 1));
  const directKeys = new Set(direct.map((u) => uploadKey(u.systemId, u.uploadId)));
  const others = [...fresh.filter((f) => !isWhole(f.input)).map((f) => f.input), ...redelivered]
    .map(({ message: m }) => uploadKey(m.system_id, m.upload_id))
    .filter((key) => !directKeys.has(key));
  const settled = completeFromRows(await chunkRows(conn, db, [...new Set(others)]));
  const recordedNow = [
    ...direct,
    ...settled.filter((s) => s.upload.completedNow).map((s) => s.upload),
  ];
  const now = timestampValue(BigInt(Date.now()) * 1000n);
  await writeRows(
    conn,
    db,
    'uploads_completed',
    recordedNow.map((u) => [u.systemId, u.uploadId, now, false]),
  );
  return [...direct, ...settled.map((s) => s.upload)];
}

export function completeFromRows(
  rows: ChunkRow[],
): { upload: CompletedUpload; recorded: boolean }[] {
  const byUpload = new Map<string, ChunkRow[]>();
  for (const row of rows) {
    const key = uploadKey(row.outcome.systemId, row.outcome.uploadId);
    byUpload.set(key, [...(byUpload.get(key) ?? []), row]);
  }
  return [...byUpload.values()].flatMap((all) => {
    const split = completeSplit(all);
    if (!split) return [];
    const upload = summarise(
      split.map((x) => x.outcome),
      split[0]!.partCount,
    );
    upload.completedNow = !all[0]!.completionRecorded;
    return [{ upload: withEarlierStored(upload, all), recorded: all[0]!.completionRecorded }];
  });
}

/**
 * The chunk rows of one consistent split that covers the whole upload, or null. A retry
 * may split an upload another way (another max_payload or embedder): rows of different
 * splits never add up; for one part_count, each part needs every chunk of one chunk_count.
 */
export function completeSplit(rows: ChunkRow[]): ChunkRow[] | null {
  for (const partCount of new Set(rows.map((r) => r.partCount))) {
    const parts: ChunkRow[][] = [];
    for (let part = 0; part < partCount; part++) {
      const ofPart = rows.filter((r) => r.partCount === partCount && r.outcome.part === part);
      const whole = [...new Set(ofPart.map((r) => r.chunkCount))]
        .map((n) => ofPart.filter((r) => r.chunkCount === n))
        .find((c) => new Set(c.map((r) => r.outcome.chunk)).size === c[0]!.chunkCount);
      if (!whole) break;
      parts.push(whole);
    }
    if (parts.length === partCount) return parts.flat();
  }
  return null;
}

/** Records an earlier split of the upload stored count as stored, not as duplicates. */
function withEarlierStored(upload: CompletedUpload, all: ChunkRow[]): CompletedUpload {
  const stored = new Set(all.flatMap((r) => r.outcome.stored));
  return {
    ...upload,
    stored: [...stored],
    duplicate: upload.duplicate.filter((id) => !stored.has(id)),
  };
}

function summarise(outcomes: ChunkOutcome[], parts: number): CompletedUpload {
  return {
    systemId: outcomes[0]!.systemId,
    uploadId: outcomes[0]!.uploadId,
    parts,
    stored: outcomes.flatMap((o) => o.stored),
    duplicate: outcomes.flatMap((o) => o.duplicate),
    rejected: outcomes.flatMap((o) => o.rejected),
    completedNow: true,
  };
}
