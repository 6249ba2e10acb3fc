import { createHash } from 'node:crypto';
import { HASHING_MODEL } from '../../embedding/hashing-embedder';
import { decodeVector, encodeVector } from '../../embedding/vector';
import type { EmbeddedMessage, EmbeddedRecord } from '../../schemas/embedded';
import { shardOf } from '../../schemas/ids';
import type { ChunkInput } from '../../storage/write-plan';
import { rng } from '../helpers/random';
import { vector } from './tiers/fixtures';

const rand = rng(11);

/** An embedded record as the embed stage hands it to the shard writer. */
export function embeddedRecord(id: string, content: string, timestamp: string): EmbeddedRecord {
  return {
    id,
    kind: 'conversation',
    content,
    content_sha256: createHash('sha256').update(content).digest('hex'),
    timestamp,
    project: 'akosha',
    tags: [],
    metadata: { id },
    vector: encodeVector(Float32Array.from(vector(rand))),
    vector_source: 'embedder',
  };
}

/** One chunk (part `part` of `partCount`, chunk `chunk` of `chunkCount`) of an upload. */
export function chunkInput(
  systemId: string,
  uploadId: string,
  records: EmbeddedRecord[],
  place = { part: 0, partCount: 1, chunk: 0, chunkCount: 1 },
): ChunkInput {
  const message: EmbeddedMessage = {
    schema_version: 1,
    upload_id: uploadId,
    system_id: systemId,
    shard: shardOf(systemId),
    part: { index: place.part, count: place.partCount },
    chunk: { index: place.chunk, count: place.chunkCount },
    upload_seq: 1,
    embedder: { name: 'hashing', model: HASHING_MODEL, dim: 384 },
    records,
    rejected_ids: [],
  };
  return { message, vectors: records.map((r) => decodeVector(r.vector, 384)) };
}

/** An upload split into `parts` parts of `chunksPerPart` chunks each (records in order). */
export function splitUpload(
  systemId: string,
  uploadId: string,
  records: EmbeddedRecord[],
  parts: number,
  chunksPerPart: number,
): ChunkInput[] {
  const perPart = Math.ceil(records.length / parts);
  return Array.from({ length: parts }, (_, part) => {
    const ofPart = records.slice(part * perPart, (part + 1) * perPart);
    const perChunk = Math.ceil(ofPart.length / chunksPerPart);
    return Array.from({ length: chunksPerPart }, (_, chunk) =>
      chunkInput(systemId, uploadId, ofPart.slice(chunk * perChunk, (chunk + 1) * perChunk), {
        part,
        partCount: parts,
        chunk,
        chunkCount: chunksPerPart,
      }),
    );
  }).flat();
}
