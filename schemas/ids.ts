import { createHash } from 'node:crypto';
import { z } from 'zod';

/** Number of shard keys; fixed by the contract with Session-Buddy and the Python Akosha. */
export const SHARD_COUNT = 256;

export const SYSTEM_ID_PATTERN = /^[A-Za-z0-9_-]{1,100}$/;
export const UPLOAD_ID_PATTERN = /^[A-Za-z0-9_.-]{1,100}$/;
export const RECORD_ID_PATTERN = /^[A-Za-z0-9_.:-]{1,128}$/;

/** system ids whose shard is remembered; past it the memo starts again (ids are few) */
const SHARD_MEMO_ENTRIES = 100_000;
const shardMemo = new Map<string, number>();

/**
 * shard = uint32_be(sha256(system_id)[0..4]) % 256. Remembered per system id: a search maps
 * each of its hits to a shard, and a sha256 costs more than the rest of that per hit.
 */
export function shardOf(systemId: string): number {
  const known = shardMemo.get(systemId);
  if (known !== undefined) return known;
  const shard =
    createHash('sha256').update(systemId, 'utf8').digest().readUInt32BE(0) % SHARD_COUNT;
  if (shardMemo.size >= SHARD_MEMO_ENTRIES) shardMemo.clear();
  shardMemo.set(systemId, shard);
  return shard;
}

export const SystemId = z
  .string()
  .regex(SYSTEM_ID_PATTERN, 'system_id must match ^[A-Za-z0-9_-]{1,100}$');

export const UploadId = z
  .string()
  .regex(UPLOAD_ID_PATTERN, 'upload_id must match ^[A-Za-z0-9_.-]{1,100}$')
  .refine((id) => !id.includes('..'), 'upload_id must not contain ".."');

export const RecordId = z
  .string()
  .regex(RECORD_ID_PATTERN, 'record id must match ^[A-Za-z0-9_.:-]{1,128}$');

/**
 * Session-Buddy defaults system_id to the hostname, which may hold dots or other
 * characters a NATS subject token cannot: map each of them to "-" and cut to 100.
 */
export function normaliseSystemId(raw: string): string {
  const cleaned = raw
    .trim()
    .replace(/[^A-Za-z0-9_-]/g, '-')
    .slice(0, 100);
  if (!SYSTEM_ID_PATTERN.test(cleaned)) throw new Error(`cannot derive a system_id from "${raw}"`);
  return cleaned;
}
