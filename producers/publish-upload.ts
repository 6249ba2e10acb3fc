import type { JetStreamClient } from '@nats-io/jetstream';
import { AkoshaError, issuesFrom } from '../infra';
import { shardOf, UploadMessage } from '../schemas';
import { subjects } from '../streams';

/** Headroom for headers and protocol framing below the server's max_payload. */
const FRAME_BYTES = 8 * 1024;

export interface PublishResult {
  upload_id: string;
  system_id: string;
  shard: number;
  subject: string;
  parts: number;
  records: number;
  /** stream sequence of each part */
  seqs: number[];
  /** every part was already in the stream (same Nats-Msg-Id within the duplicate window) */
  duplicate: boolean;
}

/**
 * Publishes one upload and waits for the broker's ack of every part. An upload
 * above the server's max payload is split into parts by records; each part has
 * its own Nats-Msg-Id, so a retried publish never stores a part twice.
 */
export async function publishUpload(
  js: JetStreamClient,
  upload: UploadMessage,
  opts: { maxPayloadBytes: number },
): Promise<PublishResult> {
  const parsed = UploadMessage.safeParse(upload);
  if (!parsed.success)
    throw new AkoshaError('SCHEMA_INVALID', 'upload does not match akosha.upload.v1', {
      issues: issuesFrom(parsed.error.issues),
    });
  const valid = parsed.data;
  const shard = shardOf(valid.system_id);
  const subject = subjects.upload(shard, valid.system_id);
  const parts = splitIntoParts(valid, opts.maxPayloadBytes - FRAME_BYTES);
  const acks = await Promise.all(
    parts.map((body, index) =>
      js.publish(subject, body, { msgID: partMsgId(valid.upload_id, parts.length, index) }),
    ),
  );
  return {
    upload_id: valid.upload_id,
    system_id: valid.system_id,
    shard,
    subject,
    parts: parts.length,
    records: valid.records.length,
    seqs: acks.map((a) => a.seq),
    duplicate: acks.every((a) => a.duplicate),
  };
}

/** Nats-Msg-Id: the upload id itself for a single part, `<upload_id>#<index>/<count>` otherwise. */
export function partMsgId(uploadId: string, count: number, index: number): string {
  return count === 1 ? uploadId : `${uploadId}#${index}/${count}`;
}

/** Greedy packing of records into serialised parts below maxBytes, in record order; index i is part i. */
export function splitIntoParts(upload: UploadMessage, maxBytes: number): string[] {
  const whole = JSON.stringify({ ...upload, part: { index: 0, count: 1 } });
  if (Buffer.byteLength(whole) <= maxBytes) return [whole];
  const { records, ...envelope } = upload;
  const base = Buffer.byteLength(
    JSON.stringify({ ...envelope, part: { index: 99_999, count: 99_999 }, records: [] }),
  );
  const groups: (typeof records)[] = [[]];
  let size = base;
  for (const record of records) {
    const bytes = Buffer.byteLength(JSON.stringify(record)) + 1;
    if (base + bytes > maxBytes)
      throw new AkoshaError('OVERSIZE', `record ${record.id} alone exceeds ${maxBytes} bytes`);
    if (size + bytes > maxBytes) {
      groups.push([]);
      size = base;
    }
    groups[groups.length - 1]!.push(record);
    size += bytes;
  }
  return groups.map((group, index) =>
    JSON.stringify({ ...envelope, part: { index, count: groups.length }, records: group }),
  );
}
