import { createHash } from 'node:crypto';
import { recordKeyString, type RecordKey } from './types';

const keyDigest = (key: RecordKey) => createHash('sha256').update(recordKeyString(key)).digest();

/** usearch reserves the all-ones key as its "free slot" marker. */
const USEARCH_RESERVED_KEY = 0xffffffffffffffffn;

/**
 * The usearch key of a record: the first 8 bytes of sha256(system_id U+001F id), big-endian.
 * Stable across processes and versions (persisted index files depend on it).
 */
export function usearchKeyOf(key: RecordKey): bigint {
  const k = keyDigest(key).readBigUInt64BE(0);
  return k === USEARCH_RESERVED_KEY ? k - 1n : k;
}

/**
 * The Qdrant point id of a record: a UUID (version 8, "custom") made of the first 16 bytes of
 * sha256(system_id U+001F id), so the same record always lands on the same point.
 */
export function qdrantPointIdOf(key: RecordKey): string {
  const b = Buffer.from(keyDigest(key).subarray(0, 16));
  b[6] = (b[6]! & 0x0f) | 0x80; // version 8
  b[8] = (b[8]! & 0x3f) | 0x80; // RFC 9562 variant
  const h = b.toString('hex');
  return `${h.slice(0, 8)}-${h.slice(8, 12)}-${h.slice(12, 16)}-${h.slice(16, 20)}-${h.slice(20)}`;
}
