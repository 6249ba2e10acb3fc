import { decodeUpload } from '../../consumers/decode-upload';
import { AkoshaError } from '../../infra/errors';
import { shardOf } from '../../schemas/ids';
import { record, unitVector, upload } from '../helpers/uploads';

const SYSTEM = 'dev-box';
const SUBJECT = `akosha.uploads.${shardOf(SYSTEM)}.${SYSTEM}`;
const encode = (value: unknown) =>
  Buffer.from(typeof value === 'string' ? value : JSON.stringify(value));
const decode = (value: unknown, subject = SUBJECT, maxBytes = 1 << 20) =>
  decodeUpload(subject, encode(value), maxBytes);

function codeOf(fn: () => unknown): string {
  try {
    fn();
  } catch (err) {
    return (err as AkoshaError).code;
  }
  return 'no error';
}

describe('decodeUpload', () => {
  it('accepts a valid upload and keeps a producer vector', () => {
    const decoded = decode(
      upload(SYSTEM, 'u1', [
        record('a', 'hello'),
        record('b', 'bye', { embedding: unitVector(1) }),
      ]),
    );
    expect(decoded.shard).toBe(shardOf(SYSTEM));
    expect(decoded.records.map((r) => r.record.id)).toEqual(['a', 'b']);
    expect(decoded.records[1]!.embedding).toHaveLength(384);
    expect(decoded.rejected).toEqual([]);
  });

  it.each([
    ['malformed JSON', () => decode('{"schema_version": 1,'), 'MALFORMED_JSON'],
    ['missing fields', () => decode({ schema_version: 1 }), 'SCHEMA_INVALID'],
    [
      'invalid system_id',
      () => decode(upload('dev.box', 'u1', [record('a', 'x')])),
      'SCHEMA_INVALID',
    ],
    [
      'invalid upload_id',
      () => decode(upload(SYSTEM, '../etc', [record('a', 'x')])),
      'SCHEMA_INVALID',
    ],
    [
      'subject of another system',
      () => decode(upload('other', 'u1', [record('a', 'x')])),
      'SUBJECT_MISMATCH',
    ],
    [
      'oversize',
      () => decode(upload(SYSTEM, 'u1', [record('a', 'x'.repeat(5000))]), SUBJECT, 1024),
      'OVERSIZE',
    ],
  ])('rejects %s as a whole message', (_name, fn, code) => {
    expect(codeOf(fn)).toBe(code);
  });

  it('rejects bad records one by one with a reason code and keeps the good ones', () => {
    const nanVector = unitVector(2) as unknown[];
    nanVector[7] = null; // NaN becomes null in JSON
    const decoded = decode(
      upload(SYSTEM, 'u1', [
        record('good', 'kept'),
        record('short', 'x', { embedding: [0.1, 0.2] }),
        { ...record('nan', 'x'), embedding: nanVector },
        record('zero', 'x', { embedding: new Array(384).fill(0) }),
        record('bad id!', 'x'),
        { id: 'no-content', kind: 'conversation', timestamp: '2026-01-01T00:00:00Z' },
      ]),
    );
    expect(decoded.records.map((r) => r.record.id)).toEqual(['good']);
    expect(decoded.rejected.map((r) => [r.id, r.error.code])).toEqual([
      ['short', 'EMBEDDING_DIMENSION'],
      ['nan', 'EMBEDDING_NOT_FINITE'],
      ['zero', 'EMBEDDING_ZERO'],
      ['bad id!', 'INVALID_RECORD'],
      ['no-content', 'INVALID_RECORD'],
    ]);
    expect(decoded.rejected[4]!.error.issues[0]).toMatchObject({ path: 'records.5.content' });
  });
});
