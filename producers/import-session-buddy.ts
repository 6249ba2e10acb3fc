import { createHash } from 'node:crypto';
import type { JetStreamClient } from '@nats-io/jetstream';
import { version as akoshaVersion } from '../package.json';
import {
  MAX_RECORDS_PER_PART,
  type MemoryRecord,
  SYSTEM_ID_PATTERN,
  UPLOAD_SCHEMA_VERSION,
  UploadId,
  type UploadMessage,
} from '../schemas';
import type { DigestSet } from './digest-set';
import { type PublishResult, publishUpload } from './publish-upload';
import { digestFingerprint, recordDigestKey } from './record-digest';
import { openSessionBuddyFile, type SessionBuddyFile, type SkippedRow } from './session-buddy';

export const IMPORT_UPLOADER = 'akosha-import';

export interface ImportProgress {
  /** rows handled so far, records published plus rows skipped */
  done: number;
  /** rows in the file */
  total: number;
  uploads: number;
}

export interface ImportOptions {
  systemId: string;
  /** replaces `<YYYYmmdd_HHMMSS>_<system_id>_<import key>`; ids are `<prefix>_<n>` */
  uploadIdPrefix?: string;
  recordsPerUpload?: number;
  maxPayloadBytes: number;
  onProgress?: (progress: ImportProgress) => void;
  onSkip?: (row: SkippedRow) => void;
  /** each upload once the broker acked it */
  onPublished?: (result: PublishResult) => void;
  /** digests of records an earlier import of this system published: not published again */
  known?: DigestSet;
  /** receives the digest of every record read, published or not */
  seen?: DigestSet;
}

export interface ImportTotals {
  upload_id_prefix: string;
  uploads: number;
  records: number;
  /** uploads the broker already had (same Nats-Msg-Id within its duplicate window) */
  duplicates: number;
  /** rows that could not become a valid record */
  skipped: number;
  /** records found in `known`, not published */
  unchanged: number;
}

/** Room left in an upload id for `_<n>` with up to 8 digits. */
const BATCH_SUFFIX_CHARS = 9;
const IMPORT_KEY_CHARS = 12;

/**
 * Publishes a Session-Buddy reflection.duckdb (plain or gzip) as uploads of
 * `recordsPerUpload` records, one after another so memory stays bounded.
 *
 * Upload ids are deterministic, not clock-based: the time part is the newest record's
 * timestamp and the key hashes the database bytes with the batch size, so re-running the
 * same import produces the same ids (and the same batches, the read order being fixed)
 * and the broker drops every upload it already has within its duplicate window. A changed
 * file or batch size gives new ids, so those uploads are never mistaken for old ones.
 *
 * With `known` (the `seen` digest of the system's previous import), records it holds are
 * counted as unchanged and not published: a whole-database re-upload costs a read and a
 * hash per old record instead of a trip through the uploads stream, the embed stage and
 * the writers. The known set is part of the id key, as it decides the batches.
 */
export async function importSessionBuddy(
  js: JetStreamClient,
  path: string,
  opts: ImportOptions,
): Promise<ImportTotals> {
  const recordsPerUpload = checkedBatchSize(opts.recordsPerUpload ?? 1000);
  if (!SYSTEM_ID_PATTERN.test(opts.systemId))
    throw new Error(`system_id "${opts.systemId}" must match ${SYSTEM_ID_PATTERN}`);
  const file = await openSessionBuddyFile(path);
  try {
    const total = await file.count();
    const prefix =
      opts.uploadIdPrefix ??
      (await defaultUploadIdPrefix(file, opts.systemId, recordsPerUpload, opts.known));
    assertUploadId(`${prefix}_${Math.max(1, Math.ceil(total / recordsPerUpload))}`);
    return await publishBatches(js, file, { ...opts, prefix, total, recordsPerUpload });
  } finally {
    file.close();
  }
}

interface PublishPlan extends ImportOptions {
  prefix: string;
  total: number;
  recordsPerUpload: number;
}

async function publishBatches(
  js: JetStreamClient,
  file: SessionBuddyFile,
  plan: PublishPlan,
): Promise<ImportTotals> {
  const totals: ImportTotals = {
    upload_id_prefix: plan.prefix,
    uploads: 0,
    records: 0,
    duplicates: 0,
    skipped: 0,
    unchanged: 0,
  };
  const progress = () =>
    plan.onProgress?.({
      done: totals.records + totals.skipped + totals.unchanged,
      total: plan.total,
      uploads: totals.uploads,
    });
  const onSkip = (row: SkippedRow) => {
    totals.skipped += 1;
    plan.onSkip?.(row);
  };
  const unchanged = () => {
    totals.unchanged += 1;
  };
  progress();
  const read = file.batches({ batchSize: plan.recordsPerUpload, onSkip });
  for await (const records of newRecordBatches(read, plan, unchanged)) {
    const upload = uploadOf(`${plan.prefix}_${totals.uploads + 1}`, plan.systemId, records);
    const result = await publishUpload(js, upload, { maxPayloadBytes: plan.maxPayloadBytes });
    totals.uploads += 1;
    totals.records += records.length;
    if (result.duplicate) totals.duplicates += 1;
    plan.onPublished?.(result);
    progress();
  }
  progress();
  return totals;
}

/**
 * The records not in `known`, regrouped into full batches: the same file and known set
 * always give the same batches, so a retried import publishes the same uploads.
 */
async function* newRecordBatches(
  batches: AsyncGenerator<MemoryRecord[]>,
  plan: PublishPlan,
  onUnchanged: () => void,
): AsyncGenerator<MemoryRecord[]> {
  const { known, seen, recordsPerUpload } = plan;
  if (!known && !seen) return yield* batches;
  let batch: MemoryRecord[] = [];
  for await (const records of batches) {
    for (const record of records) {
      const key = recordDigestKey(record);
      seen?.add(key);
      if (known?.has(key)) {
        onUnchanged();
        continue;
      }
      batch.push(record);
      if (batch.length === recordsPerUpload) {
        yield batch;
        batch = [];
      }
    }
  }
  if (batch.length > 0) yield batch;
}

function uploadOf(uploadId: string, systemId: string, records: MemoryRecord[]): UploadMessage {
  return {
    schema_version: UPLOAD_SCHEMA_VERSION,
    upload_id: uploadId,
    system_id: systemId,
    created_at: new Date().toISOString(),
    part: { index: 0, count: 1 },
    source: { uploader: IMPORT_UPLOADER, version: akoshaVersion },
    records,
  };
}

/**
 * Session-Buddy's `YYYYmmdd_HHMMSS_<system_id>` plus a key for this file, batch size and
 * known set: the same file imported against another known set makes other batches, which
 * must not take ids the broker may still hold for the first ones.
 */
async function defaultUploadIdPrefix(
  file: SessionBuddyFile,
  systemId: string,
  recordsPerUpload: number,
  known: DigestSet | undefined,
): Promise<string> {
  const newest = (await file.newestTimestamp()) ?? '1970-01-01T00:00:00Z';
  const stamp = newest.slice(0, 19).replace(/-/g, '').replace('T', '_').replace(/:/g, '');
  const knownPart = known ? `:${digestFingerprint(known)}` : '';
  const key = createHash('sha256')
    .update(`${file.contentSha256}:${recordsPerUpload}${knownPart}`)
    .digest('hex')
    .slice(0, IMPORT_KEY_CHARS);
  // Upload ids are capped at 100 characters; the full system_id travels in the message anyway.
  const room = 100 - stamp.length - key.length - 2 - BATCH_SUFFIX_CHARS;
  return `${stamp}_${systemId.slice(0, room)}_${key}`;
}

function assertUploadId(id: string): void {
  const checked = UploadId.safeParse(id);
  if (!checked.success)
    throw new Error(
      `upload id "${id}" is not valid: ${checked.error.issues.map((i) => i.message).join('; ')}`,
    );
}

function checkedBatchSize(n: number): number {
  if (!Number.isInteger(n) || n < 1 || n > MAX_RECORDS_PER_PART) {
    throw new Error(
      `records per upload must be an integer in 1..${MAX_RECORDS_PER_PART}, got ${n}`,
    );
  }
  return n;
}
