import { AkoshaError, type ErrorCode, issuesFrom } from '../infra';
import { EMBEDDING_DIM, MemoryRecord, shardOf, UploadEnvelope } from '../schemas';
import { parseUploadSubject } from '../streams';

export interface ValidRecord {
  record: MemoryRecord;
  /** the producer's own vector, when it sent a valid one */
  embedding?: Float32Array;
}

export interface RejectedRecord {
  index: number;
  id?: string | undefined;
  raw: unknown;
  error: AkoshaError;
}

export interface DecodedUpload {
  envelope: UploadEnvelope;
  shard: number;
  records: ValidRecord[];
  rejected: RejectedRecord[];
}

/**
 * Checks one upload message: size, JSON, envelope schema, subject. Throws a
 * non-retryable AkoshaError for a bad message; a bad record only rejects itself.
 */
export function decodeUpload(subject: string, data: Uint8Array, maxBytes: number): DecodedUpload {
  if (data.byteLength > maxBytes)
    throw new AkoshaError('OVERSIZE', `message is ${data.byteLength} bytes, limit ${maxBytes}`);
  const envelope = parseEnvelope(data);
  const shard = checkSubject(subject, envelope.system_id);
  const records: ValidRecord[] = [];
  const rejected: RejectedRecord[] = [];
  envelope.records.forEach((raw, index) => {
    try {
      records.push(decodeRecord(raw, index));
    } catch (err) {
      rejected.push({ index, id: idOf(raw), raw, error: err as AkoshaError });
    }
  });
  return { envelope, shard, records, rejected };
}

function parseEnvelope(data: Uint8Array): UploadEnvelope {
  let json: unknown;
  try {
    json = JSON.parse(Buffer.from(data).toString('utf8'));
  } catch (err) {
    throw new AkoshaError('MALFORMED_JSON', `payload is not valid JSON: ${(err as Error).message}`);
  }
  const parsed = UploadEnvelope.safeParse(json);
  if (!parsed.success)
    throw new AkoshaError('SCHEMA_INVALID', undefined, { issues: issuesFrom(parsed.error.issues) });
  return parsed.data;
}

function checkSubject(subject: string, systemId: string): number {
  const parsed = parseUploadSubject(subject);
  const shard = shardOf(systemId);
  if (!parsed || parsed.systemId !== systemId || parsed.shard !== shard) {
    throw new AkoshaError(
      'SUBJECT_MISMATCH',
      `subject ${subject} does not match system_id ${systemId} (shard ${shard})`,
    );
  }
  return shard;
}

function idOf(raw: unknown): string | undefined {
  const id = (raw as { id?: unknown } | null)?.id;
  return typeof id === 'string' ? id.slice(0, 128) : undefined;
}

export function decodeRecord(raw: unknown, index: number): ValidRecord {
  const path = `records.${index}`;
  const embedding = checkEmbedding((raw as { embedding?: unknown } | null)?.embedding, path);
  const parsed = MemoryRecord.safeParse(raw);
  if (!parsed.success)
    throw new AkoshaError('INVALID_RECORD', undefined, {
      issues: issuesFrom(parsed.error.issues, path),
    });
  return embedding ? { record: parsed.data, embedding } : { record: parsed.data };
}

function checkEmbedding(value: unknown, path: string): Float32Array | undefined {
  if (value === undefined || value === null) return undefined;
  const fail = (code: ErrorCode, message: string) =>
    new AkoshaError(code, message, { issues: [{ path: `${path}.embedding`, message }] });
  if (!Array.isArray(value))
    throw fail('INVALID_RECORD', 'embedding must be an array of numbers or null');
  if (value.length !== EMBEDDING_DIM) {
    throw fail(
      'EMBEDDING_DIMENSION',
      `embedding has ${value.length} dimensions, expected ${EMBEDDING_DIM}`,
    );
  }
  if (!value.every((x) => typeof x === 'number' && Number.isFinite(x))) {
    throw fail('EMBEDDING_NOT_FINITE', 'embedding holds NaN, Infinity or a non-number');
  }
  const vector = Float32Array.from(value as number[]);
  if (vector.every((x) => x === 0)) throw fail('EMBEDDING_ZERO', 'embedding is all zeros');
  return vector;
}
