import { createHash, hash } from 'node:crypto';
import type { MemoryRecord } from '../schemas';
import type { DigestSet } from './digest-set';

/**
 * A DigestSet of 64-bit hashes (the first 8 bytes of sha256 of each key): 8 bytes a key
 * in a sorted BigUint64Array, plus a small Set of keys added since the last merge.
 *
 * Two different keys share a hash with probability 2^-64, so among n keys some pair does
 * with probability about n²/2^65 (3·10^-8 for a million records). A collision costs one
 * record that is not published although it changed or is new; nothing else.
 */
export const RECORD_DIGEST_VERSION = 1;
/** a digest beyond this many keys stops growing: later records are simply published again */
export const MAX_DIGEST_KEYS = 20_000_000;

const HEADER_BYTES = 1 + 4; // version, key count (uint32 BE)
const CHECK_BYTES = 8; // first 8 bytes of sha256 of header and keys
const MIN_MERGE = 4096;

/** What identifies a record across imports, whatever system sent it. */
export function recordDigestKey(record: MemoryRecord): string {
  // The writers treat a changed record with a known id as a duplicate anyway, so content is
  // here only so that an edited record costs a publish rather than nothing: harmless either way.
  // A kind or record id never holds NUL, so the parts cannot run into each other.
  return `${record.kind}\u0000${record.id}\u0000${record.content}`;
}

// crypto.hash, the one-shot form (Node ≥ 20.12), is ~40 % faster than createHash here
const sha256 = (key: string): Buffer =>
  typeof hash === 'function'
    ? hash('sha256', key, 'buffer')
    : createHash('sha256').update(key).digest();

/** The key's 64-bit hash. */
export const keyHash = (key: string): bigint => sha256(key).readBigUInt64BE(0);

export class RecordDigest implements DigestSet {
  private sorted: BigUint64Array;
  private readonly recent = new Set<bigint>();

  constructor(sorted: BigUint64Array = new BigUint64Array(0)) {
    this.sorted = sorted;
  }

  get size(): number {
    return this.sorted.length + this.recent.size;
  }

  has(key: string): boolean {
    const h = keyHash(key);
    return this.recent.has(h) || binarySearch(this.sorted, h);
  }

  add(key: string): void {
    const h = keyHash(key);
    if (this.size >= MAX_DIGEST_KEYS || this.recent.has(h) || binarySearch(this.sorted, h)) return;
    this.recent.add(h);
    if (this.recent.size >= Math.max(MIN_MERGE, this.sorted.length >> 2)) this.merge();
  }

  /** A short hash of the whole set: a different set gives a different fingerprint. */
  fingerprint(): string {
    this.merge();
    const bytes = new Uint8Array(
      this.sorted.buffer,
      this.sorted.byteOffset,
      this.sorted.byteLength,
    );
    return createHash('sha256').update(bytes).digest('hex').slice(0, 16);
  }

  /** version byte, key count, the sorted keys (little-endian), 8 bytes of their sha256 */
  toBytes(): Uint8Array {
    this.merge();
    const out = Buffer.alloc(HEADER_BYTES + this.sorted.byteLength + CHECK_BYTES);
    out.writeUInt8(RECORD_DIGEST_VERSION, 0);
    out.writeUInt32BE(this.sorted.length, 1);
    for (let i = 0; i < this.sorted.length; i++)
      out.writeBigUInt64LE(this.sorted[i]!, HEADER_BYTES + i * 8);
    const body = out.subarray(0, out.length - CHECK_BYTES);
    createHash('sha256').update(body).digest().copy(out, body.length, 0, CHECK_BYTES);
    return out;
  }

  /** Throws on any other version, a wrong length, a bad checksum or unsorted keys. */
  static fromBytes(bytes: Uint8Array): RecordDigest {
    const buf = Buffer.from(bytes.buffer, bytes.byteOffset, bytes.byteLength);
    if (buf.length < HEADER_BYTES + CHECK_BYTES) throw new Error('record digest: truncated header');
    const version = buf.readUInt8(0);
    if (version !== RECORD_DIGEST_VERSION)
      throw new Error(`record digest: version ${version}, expected ${RECORD_DIGEST_VERSION}`);
    const count = buf.readUInt32BE(1);
    if (count > MAX_DIGEST_KEYS) throw new Error(`record digest: ${count} keys is over the limit`);
    const expected = HEADER_BYTES + count * 8 + CHECK_BYTES;
    if (buf.length !== expected)
      throw new Error(`record digest: ${buf.length} bytes, expected ${expected} for ${count} keys`);
    const body = buf.subarray(0, expected - CHECK_BYTES);
    const check = createHash('sha256').update(body).digest().subarray(0, CHECK_BYTES);
    if (!check.equals(buf.subarray(expected - CHECK_BYTES)))
      throw new Error('record digest: checksum mismatch');
    return new RecordDigest(sortedKeys(buf, count));
  }

  /** Folds the recent keys into the sorted array. */
  private merge(): void {
    if (this.recent.size === 0) return;
    const next = new BigUint64Array(this.sorted.length + this.recent.size);
    next.set(this.sorted);
    let i = this.sorted.length;
    for (const h of this.recent) next[i++] = h;
    this.sorted = next.sort();
    this.recent.clear();
  }
}

function sortedKeys(buf: Buffer, count: number): BigUint64Array {
  const keys = new BigUint64Array(count);
  for (let i = 0; i < count; i++) {
    keys[i] = buf.readBigUInt64LE(HEADER_BYTES + i * 8);
    if (i > 0 && keys[i]! <= keys[i - 1]!) throw new Error('record digest: keys not in order');
  }
  return keys;
}

function binarySearch(sorted: BigUint64Array, h: bigint): boolean {
  let lo = 0;
  let hi = sorted.length - 1;
  while (lo <= hi) {
    const mid = (lo + hi) >>> 1;
    const v = sorted[mid]!;
    if (v === h) return true;
    if (v < h) lo = mid + 1;
    else hi = mid - 1;
  }
  return false;
}

/** The fingerprint of a RecordDigest; other sets are told apart by their size only. */
export function digestFingerprint(set: DigestSet): string {
  return set instanceof RecordDigest ? set.fingerprint() : `n${set.size}`;
}
