import type { EmbeddedMessage, EmbeddedRecord } from '../schemas';

export interface ChunkInput {
  message: EmbeddedMessage;
  vectors: Float32Array[];
}

export interface ChunkOutcome {
  systemId: string;
  uploadId: string;
  part: number;
  chunk: number;
  stored: string[];
  duplicate: string[];
  rejected: string[];
  /** the chunk was already written by an earlier delivery */
  redelivered: boolean;
}

export interface NewRow {
  input: ChunkInput;
  record: EmbeddedRecord;
  vector: Float32Array;
}

/** Keys joined with U+001F, which no id may contain; the SQL side builds the same with chr(31). */
export const recordKey = (systemId: string, id: string) => `${systemId}\u001f${id}`;
export const uploadKey = recordKey;
/** Where a chunk sits in one split of its upload: index and count of part and of chunk. */
export interface ChunkPlace {
  part: number;
  partCount: number;
  chunk: number;
  chunkCount: number;
}

/** A chunk's identity includes the counts: another split of the upload has other chunks. */
export const chunkKey = (systemId: string, uploadId: string, p: ChunkPlace) =>
  `${systemId}\u001f${uploadId}\u001f${p.part}/${p.partCount}\u001f${p.chunk}/${p.chunkCount}`;
export const placeOf = ({ message: m }: ChunkInput): ChunkPlace => ({
  part: m.part.index,
  partCount: m.part.count,
  chunk: m.chunk.index,
  chunkCount: m.chunk.count,
});
export const chunkKeyOf = (input: ChunkInput) =>
  chunkKey(input.message.system_id, input.message.upload_id, placeOf(input));

/** Namespaced keys of everything a shard filter remembers. */
export const filterKey = {
  record: (systemId: string, id: string) => `r\u001f${recordKey(systemId, id)}`,
  content: (systemId: string, sha256: string) => `c\u001f${recordKey(systemId, sha256)}`,
  chunk: (systemId: string, uploadId: string, place: ChunkPlace) =>
    `k\u001f${chunkKey(systemId, uploadId, place)}`,
  chunkOf: (input: ChunkInput) => `k\u001f${chunkKeyOf(input)}`,
  /** a recorded completion */
  upload: (systemId: string, uploadId: string) => `u\u001f${uploadKey(systemId, uploadId)}`,
};

export interface KnownRecords {
  keys: Set<string>;
  /** system_id + content sha256 */
  contents: Set<string>;
}

/**
 * Decides, in arrival order, which records of fresh chunks are stored and which
 * are duplicates: of a record already stored, or of one earlier in this batch,
 * by key (system_id, id) or by identical content within the same system.
 */
export function planWrites(
  fresh: ChunkInput[],
  known: KnownRecords,
): { rows: NewRow[]; outcomes: ChunkOutcome[] } {
  const rows: NewRow[] = [];
  const outcomes = fresh.map((input) => {
    const m = input.message;
    const outcome: ChunkOutcome = {
      systemId: m.system_id,
      uploadId: m.upload_id,
      part: m.part.index,
      chunk: m.chunk.index,
      stored: [],
      duplicate: [],
      rejected: m.rejected_ids,
      redelivered: false,
    };
    m.records.forEach((record, i) => {
      const key = recordKey(m.system_id, record.id);
      const content = recordKey(m.system_id, record.content_sha256);
      if (known.keys.has(key) || known.contents.has(content))
        return outcome.duplicate.push(record.id);
      known.keys.add(key);
      known.contents.add(content);
      outcome.stored.push(record.id);
      rows.push({ input, record, vector: input.vectors[i]! });
    });
    return outcome;
  });
  return { rows, outcomes };
}
