import type { MemoryRecord } from '../schemas/record';
import type { UploadMessage } from '../schemas/upload';

const DAY_MS = 86_400_000;
/** Producer-side part size for the multi-part uploads: far below the server's max payload. */
const SMALL_PART_BYTES = 12 * 1024;

export interface PlannedUpload {
  message: UploadMessage;
  /** producer part size: small for multi-part uploads */
  maxPayloadBytes: number;
  /** publish again at once (the broker drops it inside the duplicate window) */
  retryInside: boolean;
  /** publish again after the duplicate window (the writer must drop it) */
  retryBeyond: boolean;
}

export interface WorkloadSpec {
  systems: number;
  /** the server's max payload (AKOSHA_MAX_MESSAGE_BYTES): multi-chunk uploads exceed it once embedded */
  maxMessageBytes: number;
  /** distinguishes the runs of one scenario (ids stay unique per run) */
  tag: string;
}

/** Seeded text of about `chars` characters, unique per `seed`. */
function text(seed: string, chars: number): string {
  const words = ['jetstream', 'duckdb', 'shard', 'vector', 'ack', 'replay', 'tier', 'writer'];
  let out = `memory ${seed}:`;
  for (let i = 0; out.length < chars; i++) out += ` ${words[(seed.length * 7 + i * 3) % 8]}${i}`;
  return out;
}

/** Recent, warm-aged (30 days) and cold-aged (200 days) records, so aging fills every tier. */
function timestampOf(n: number, nowMs: number): string {
  const ageDays = [1, 1, 1, 30, 200][n % 5]!;
  return new Date(nowMs - ageDays * DAY_MS - (n % 1000) * 1000).toISOString();
}

function record(id: string, content: string, ts: string): MemoryRecord {
  return { id, kind: 'conversation', content, timestamp: ts, project: 'faults' };
}

/**
 * Upload `u` of a run's mix: single-part uploads, multi-part ones (split by the producer),
 * multi-chunk ones (vectors push the hand-off past max payload), duplicates by key (an
 * earlier id, new content) and by content (a new id, an earlier text), retries inside and
 * beyond the window. Made on demand, so an overload run does not hold its whole plan.
 */
export function planUpload(spec: WorkloadSpec, u: number, nowMs: number): PlannedUpload {
  const system = `${spec.tag}-sys-${u % spec.systems}`;
  const shape = u % 10;
  const count = shape === 8 ? 30 : shape >= 6 ? 16 : 3 + (u % 3);
  const ts = timestampOf(u, nowMs);
  const records = Array.from({ length: count }, (_, k) =>
    record(`r-${u}-${k}`, text(`${spec.tag}/${u}/${k}`, charsOf(spec, u)), ts),
  );
  const earlier = u - spec.systems * 3; // same system, three rounds back
  if (shape === 9 && earlier >= 0) {
    // index 0 of an earlier upload lends its key, index 1 its content: never the same record
    records.push(record(`r-${earlier}-0`, text(`${spec.tag}/${u}/key-dup`, 200), ts));
    records.push(
      record(`r-${u}-cdup`, text(`${spec.tag}/${earlier}/1`, charsOf(spec, earlier)), ts),
    );
  }
  return {
    message: upload(system, `${spec.tag}-up-${u}`, records),
    maxPayloadBytes: shape === 6 || shape === 7 ? SMALL_PART_BYTES : spec.maxMessageBytes,
    retryInside: u % 7 === 0,
    retryBeyond: u % 11 === 0,
  };
}

/** Record text length by shape: long for multi-chunk uploads, medium for multi-part ones. */
function charsOf(spec: WorkloadSpec, u: number): number {
  const shape = u % 10;
  return shape === 8 ? Math.floor(spec.maxMessageBytes / 40) : shape >= 6 ? 1200 : 200;
}

function upload(systemId: string, uploadId: string, records: MemoryRecord[]): UploadMessage {
  return {
    schema_version: 1,
    upload_id: uploadId,
    system_id: systemId,
    created_at: new Date().toISOString(),
    records,
  };
}

/** Deliberately invalid messages: each must end in the DLQ, and nothing else may. */
export function invalidPayloads(tag: string): { id: string; body: string }[] {
  return [
    { id: `${tag}-bad-json`, body: '{"schema_version": 1, "upload_id": ' },
    {
      id: `${tag}-bad-schema`,
      body: JSON.stringify({ schema_version: 1, upload_id: `${tag}-bad`, records: [] }),
    },
    { id: `${tag}-bad-version`, body: JSON.stringify({ schema_version: 99, records: [{}] }) },
  ];
}
