import { importPrefix } from '../../cloud/import-upload';
import { RecordDigest } from '../../producers/record-digest';
import { UploadId } from '../../schemas/ids';

const digestOf = (...keys: string[]) => {
  const d = new RecordDigest();
  for (const k of keys) d.add(k);
  return d;
};

describe('importPrefix', () => {
  const uploadId = '20250101_100000_laptop-a';

  it('is the same for the same upload and known set, so a retry is a broker duplicate', () => {
    expect(importPrefix(uploadId, digestOf('a', 'b'))).toBe(
      importPrefix(uploadId, digestOf('b', 'a')),
    );
    expect(importPrefix(uploadId, digestOf('a'))).toMatch(new RegExp(`^${uploadId}_[0-9a-f]{8}$`));
  });

  it('differs when the known set differs: other batches never take the first ones ids', () => {
    const prefixes = new Set([
      importPrefix(uploadId, new RecordDigest()),
      importPrefix(uploadId, digestOf('a')),
      importPrefix(uploadId, digestOf('a', 'b')),
    ]);
    expect(prefixes.size).toBe(3);
  });

  it('caps long upload ids, keeps two of them apart, and leaves room for batch suffixes', () => {
    const long1 = `${'x'.repeat(95)}1`;
    const long2 = `${'x'.repeat(95)}2`;
    const known = digestOf('a');
    const [p1, p2] = [importPrefix(long1, known), importPrefix(long2, known)];
    expect(p1).not.toBe(p2);
    for (const p of [p1, p2]) {
      expect(p.length).toBeLessThanOrEqual(86);
      expect(UploadId.safeParse(`${p}_g12_345`).success).toBe(true);
    }
  });
});
