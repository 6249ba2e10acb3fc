import { createHash } from 'node:crypto';
import type { EmbeddedMessage, EmbeddedRecord, EmbedderInfo, MemoryRecord } from '../schemas';
import { encodeVector, type TextVectors } from '../embedding';
import type { DecodedUpload } from './decode-upload';

/** Room left in a message for the envelope around the records. */
const ENVELOPE_BYTES = 4096;

export function toEmbeddedRecord(
  record: MemoryRecord,
  vectors: TextVectors,
  fromProducer: boolean,
): EmbeddedRecord {
  const passages = vectors.passages.map((p) => ({
    start: p.start,
    end: p.end,
    vector: encodeVector(p.vector),
  }));
  return {
    id: record.id,
    kind: record.kind,
    content: record.content,
    content_sha256: createHash('sha256').update(record.content, 'utf8').digest('hex'),
    timestamp: record.timestamp,
    project: record.project ?? null,
    tags: record.tags ?? [],
    metadata: record.metadata ?? {},
    vector: encodeVector(vectors.vector),
    vector_source: fromProducer ? 'producer' : 'embedder',
    ...(passages.length > 0 && { passages }),
  };
}

/**
 * Packs one upload part's embedded records into messages below maxBytes. Vectors
 * make a record larger than it arrived, so one part may need several chunks.
 */
export function packChunks(
  upload: DecodedUpload,
  records: EmbeddedRecord[],
  meta: { uploadSeq: number; embedder: EmbedderInfo; maxBytes: number },
): EmbeddedMessage[] {
  const groups: EmbeddedRecord[][] = [[]];
  let size = ENVELOPE_BYTES;
  for (const record of records) {
    const bytes = Buffer.byteLength(JSON.stringify(record));
    if (size + bytes > meta.maxBytes && groups[groups.length - 1]!.length > 0) {
      groups.push([]);
      size = ENVELOPE_BYTES;
    }
    groups[groups.length - 1]!.push(record);
    size += bytes;
  }
  const e = upload.envelope;
  return groups.map((group, index) => ({
    schema_version: 1,
    upload_id: e.upload_id,
    system_id: e.system_id,
    shard: upload.shard,
    part: e.part,
    chunk: { index, count: groups.length },
    upload_seq: meta.uploadSeq,
    embedder: meta.embedder,
    records: group,
    rejected_ids: index === 0 ? upload.rejected.map((r) => r.id ?? `#${r.index}`) : [],
  }));
}

/** With the counts: a retry that splits the upload another way hands off other chunks. */
export const embeddedMsgId = (m: EmbeddedMessage) =>
  `emb:${m.system_id}:${m.upload_id}:${m.part.index}/${m.part.count}:${m.chunk.index}/${m.chunk.count}`;
