import {
  digestFingerprint,
  MAX_DIGEST_KEYS,
  RecordDigest,
  recordDigestKey,
} from '../../producers/record-digest';
import type { MemoryRecord } from '../../schemas/record';

const keys = (n: number, from = 0) => Array.from({ length: n }, (_, i) => `key-${from + i}`);

function digestOf(list: string[]): RecordDigest {
  const d = new RecordDigest();
  for (const k of list) d.add(k);
  return d;
}

describe('RecordDigest', () => {
  it('has what was added, not what was not, and counts each key once', () => {
    // past the merge threshold, so both the sorted array and the recent set are searched
    const d = digestOf([...keys(10_000), ...keys(100)]);
    expect(d.size).toBe(10_000);
    expect(keys(10_000).every((k) => d.has(k))).toBe(true);
    expect(keys(1000, 10_000).some((k) => d.has(k))).toBe(false);
    d.add('one more');
    expect(d.has('one more')).toBe(true);
    expect(d.size).toBe(10_001);
  });

  it('round-trips through bytes: 8 bytes a key plus 13 of header and check', () => {
    const d = digestOf(keys(5000));
    const bytes = d.toBytes();
    expect(bytes.byteLength).toBe(5000 * 8 + 13);
    const back = RecordDigest.fromBytes(bytes);
    expect(back.size).toBe(5000);
    expect(keys(5000).every((k) => back.has(k))).toBe(true);
    expect(back.has('key-5000')).toBe(false);
    expect(back.fingerprint()).toBe(d.fingerprint());
    expect(RecordDigest.fromBytes(new RecordDigest().toBytes()).size).toBe(0);
  });

  it('refuses a truncated, extended, altered or other-version blob', () => {
    const bytes = Buffer.from(digestOf(keys(50)).toBytes());
    expect(() => RecordDigest.fromBytes(bytes.subarray(0, bytes.length - 1))).toThrow(/bytes/);
    expect(() => RecordDigest.fromBytes(Buffer.concat([bytes, Buffer.alloc(8)]))).toThrow(/bytes/);
    expect(() => RecordDigest.fromBytes(bytes.subarray(0, 3))).toThrow(/truncated/);
    const flipped = Buffer.from(bytes);
    flipped[20] = flipped[20]! ^ 1;
    expect(() => RecordDigest.fromBytes(flipped)).toThrow(/checksum/);
    const version = Buffer.from(bytes);
    version[0] = 2;
    expect(() => RecordDigest.fromBytes(version)).toThrow(/version 2/);
    const huge = Buffer.from(bytes);
    huge.writeUInt32BE(MAX_DIGEST_KEYS + 1, 1);
    expect(() => RecordDigest.fromBytes(huge)).toThrow(/over the limit/);
  });

  it('fingerprints the set: equal sets alike whatever the order, another set apart', () => {
    const a = digestOf(keys(3000));
    const b = digestOf(keys(3000).reverse());
    expect(a.fingerprint()).toBe(b.fingerprint());
    b.add('extra');
    expect(b.fingerprint()).not.toBe(a.fingerprint());
    expect(digestFingerprint(a)).toBe(a.fingerprint());
  });
});

describe('recordDigestKey', () => {
  const rec: MemoryRecord = {
    id: 'conv-1',
    kind: 'conversation',
    content: 'hello',
    timestamp: '2026-01-01T00:00:00Z',
  };
  it('depends on id, kind and content only', () => {
    const key = recordDigestKey(rec);
    expect(recordDigestKey({ ...rec, timestamp: '2026-02-02T00:00:00Z', project: 'p' })).toBe(key);
    expect(recordDigestKey({ ...rec, content: 'hello!' })).not.toBe(key);
    expect(recordDigestKey({ ...rec, id: 'conv-2' })).not.toBe(key);
    expect(recordDigestKey({ ...rec, kind: 'reflection' })).not.toBe(key);
  });
});
