import { createHash } from 'node:crypto';
import { AkoshaError, type ErrorCode, type Issue, issuesFrom } from '../infra';
import {
  type EmbeddedMessage,
  type EmbeddedRecord,
  EMBEDDING_DIM,
  MAX_RECORDS_PER_PART,
  MemoryRecord,
  shardOf,
} from '../schemas';
import { groupOfShard, parseEmbeddedSubject } from '../streams';

/** The shard groups a writer owns, out of how many. */
export interface ChunkOwner {
  groups: readonly number[];
  groupCount: number;
}

const fail = (code: ErrorCode, message: string, issues: Issue[] = []) =>
  new AkoshaError(code, message, { issues });

/**
 * An embedded chunk is checked as if anyone could have published it: its shard against
 * its system_id and subject, its group against the writer's, each record's bounds against
 * an upload's and its content against its checksum. Returns why it must not be written.
 */
export function verifyChunk(
  subject: string,
  message: EmbeddedMessage,
  owner: ChunkOwner,
): AkoshaError | undefined {
  return (
    checkPlace(subject, message, owner) ??
    checkBounds(message) ??
    message.records.map(checkChecksum).find((e) => e !== undefined)
  );
}

function checkPlace(subject: string, m: EmbeddedMessage, owner: ChunkOwner) {
  const place = parseEmbeddedSubject(subject);
  const expected = shardOf(m.system_id);
  if (!place || place.shard !== expected || m.shard !== expected) {
    const why = `system_id ${m.system_id} is in shard ${expected}; the chunk says ${m.shard}, its subject is ${subject}`;
    return fail('CHUNK_SHARD_MISMATCH', why);
  }
  const group = groupOfShard(expected, owner.groupCount);
  if (place.group !== group || !owner.groups.includes(group)) {
    const why = `shard ${expected} is in group ${group}; subject group ${place.group}, this writer owns ${owner.groups.join(',')}`;
    return fail('CHUNK_GROUP_NOT_OWNED', why);
  }
  return undefined;
}

/** The limits of an upload record (MemoryRecord), applied to the embedded one. */
function checkBounds(m: EmbeddedMessage) {
  if (m.records.length > MAX_RECORDS_PER_PART || m.rejected_ids.length > MAX_RECORDS_PER_PART) {
    const why = `${m.records.length} records, ${m.rejected_ids.length} rejected ids; an upload part holds at most ${MAX_RECORDS_PER_PART}`;
    return fail('CHUNK_TOO_LARGE', why);
  }
  const issues = m.records.flatMap((r, index) => {
    const parsed = MemoryRecord.safeParse(asUploadRecord(r));
    return parsed.success ? [] : issuesFrom(parsed.error.issues, `records.${index}`);
  });
  if (issues.length === 0) return undefined;
  return fail('CHUNK_TOO_LARGE', 'embedded records exceed the bounds of upload records', issues);
}

function asUploadRecord(r: EmbeddedRecord) {
  const { id, kind, content, timestamp, project, tags, metadata } = r;
  return { id, kind, content, timestamp, project, tags, metadata };
}

function checkChecksum(r: EmbeddedRecord, index: number) {
  const actual = createHash('sha256').update(r.content, 'utf8').digest('hex');
  if (actual === r.content_sha256) return undefined;
  const path = `records.${index}.content_sha256`;
  const why = `record ${r.id}: content hashes to ${actual}, the chunk says ${r.content_sha256}`;
  return fail('CHUNK_CHECKSUM_MISMATCH', why, [{ path, message: 'does not match the content' }]);
}

/**
 * Each record's vector, decoded; every vector (passages too) must have EMBEDDING_DIM
 * finite components, and every passage must lie within its record's content.
 */
export function decodeChunkVectors(m: EmbeddedMessage): Float32Array[] | AkoshaError {
  const vectors: Float32Array[] = [];
  for (const [index, r] of m.records.entries()) {
    const path = `records.${index}`;
    const vector = decodeChecked(r.vector, `${path}.vector`);
    if (vector instanceof AkoshaError) return vector;
    vectors.push(vector);
    for (const [p, passage] of (r.passages ?? []).entries()) {
      const where = `${path}.passages.${p}`;
      const checked = decodeChecked(passage.vector, `${where}.vector`);
      if (checked instanceof AkoshaError) return checked;
      if (passage.start >= passage.end || passage.end > r.content.length)
        return invalidVector(
          where,
          `spans ${passage.start}..${passage.end} of ${r.content.length} characters`,
        );
    }
  }
  return vectors;
}

function decodeChecked(b64: string, path: string): Float32Array | AkoshaError {
  const bytes = Buffer.from(b64, 'base64');
  if (bytes.byteLength !== EMBEDDING_DIM * 4)
    return invalidVector(path, `${bytes.byteLength / 4} dimensions, expected ${EMBEDDING_DIM}`);
  // Buffer skips characters outside the alphabet and takes base64url too: only the
  // canonical form (what encodeVector writes) round-trips
  if (bytes.toString('base64') !== b64) return invalidVector(path, 'is not canonical base64');
  const vector = new Float32Array(EMBEDDING_DIM);
  new Uint8Array(vector.buffer).set(bytes);
  if (!vector.every(Number.isFinite)) return invalidVector(path, 'holds NaN or Infinity');
  return vector;
}

const invalidVector = (path: string, message: string) =>
  fail('CHUNK_VECTOR_INVALID', `${path} ${message}`, [{ path, message }]);
