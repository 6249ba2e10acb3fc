import { timestampValue, type DuckDBConnection } from '@duckdb/node-api';
import { appendRows } from './duckdb-append';
import { chunkRows, type ChunkRow } from './shard-queries';
import { uploadKey, type ChunkInput, type ChunkOutcome } from './write-plan';

export interface CompletedUpload {
  systemId: string;
  uploadId: string;
  parts: number;
  stored: string[];
  duplicate: string[];
  rejected: string[];
  /** an earlier delivery already published its ingest-complete event */
  eventPublished: boolean;
}

/**
 * Finds the uploads this batch makes whole (or touches again on redelivery) and
 * records new completions. A single-chunk upload is whole by itself and needs no
 * query; the rest are settled from their chunk rows.
 */
export async function settleCompletions(
  conn: DuckDBConnection,
  db: string,
  fresh: { input: ChunkInput; outcome: ChunkOutcome }[],
  redelivered: ChunkInput[],
): Promise<CompletedUpload[]> {
  const isWhole = ({ message: m }: ChunkInput) => m.part.count === 1 && m.chunk.count === 1;
  const direct = fresh.filter((f) => isWhole(f.input)).map((f) => summarise([f.outcome], 1, false));
  const directKeys = new Set(direct.map((u) => uploadKey(u.systemId, u.uploadId)));
  const others = [...fresh.filter((f) => !isWhole(f.input)).map((f) => f.input), ...redelivered]
    .map(({ message: m }) => uploadKey(m.system_id, m.upload_id))
    .filter((key) => !directKeys.has(key));
  const settled = completeFromRows(await chunkRows(conn, db, [...new Set(others)]));
  const recordedNow = [...direct, ...settled.filter((s) => !s.recorded).map((s) => s.upload)];
  const now = timestampValue(BigInt(Date.now()) * 1000n);
  await appendRows(
    conn,
    db,
    'uploads_completed',
    recordedNow.map((u) => [u.systemId, u.uploadId, now, false]),
  );
  return [...direct, ...settled.map((s) => s.upload)];
}

function completeFromRows(rows: ChunkRow[]): { upload: CompletedUpload; recorded: boolean }[] {
  const byUpload = new Map<string, ChunkRow[]>();
  for (const row of rows) {
    const key = uploadKey(row.outcome.systemId, row.outcome.uploadId);
    byUpload.set(key, [...(byUpload.get(key) ?? []), row]);
  }
  return [...byUpload.values()].filter(isComplete).map((r) => ({
    upload: summarise(
      r.map((x) => x.outcome),
      r[0]!.partCount,
      r[0]!.eventPublished,
    ),
    recorded: r[0]!.completionRecorded,
  }));
}

function isComplete(rows: ChunkRow[]): boolean {
  const chunksPerPart = new Map<number, number>();
  for (const r of rows)
    chunksPerPart.set(r.outcome.part, (chunksPerPart.get(r.outcome.part) ?? 0) + 1);
  if (chunksPerPart.size !== rows[0]?.partCount) return false;
  return rows.every((r) => chunksPerPart.get(r.outcome.part) === r.chunkCount);
}

function summarise(
  outcomes: ChunkOutcome[],
  parts: number,
  eventPublished: boolean,
): CompletedUpload {
  return {
    systemId: outcomes[0]!.systemId,
    uploadId: outcomes[0]!.uploadId,
    parts,
    stored: outcomes.flatMap((o) => o.stored),
    duplicate: outcomes.flatMap((o) => o.duplicate),
    rejected: outcomes.flatMap((o) => o.rejected),
    eventPublished,
  };
}
