import {
  type DecodedUpload,
  decodeUpload,
  embedRecords,
  packChunks,
  type RecordVectors,
  toEmbeddedRecord,
} from '../consumers';
import type { Embedder } from '../embedding';
import type { ChunkInput } from '../storage';

/** An upload message as read from the stream. */
export interface RawUpload {
  subject: string;
  seq: number;
  data: Uint8Array;
}

export interface PrepareLimits {
  /** the embed stage's size limit (AKOSHA_MAX_MESSAGE_BYTES) */
  maxMessageBytes: number;
  /** the live path's chunk size: min(server max_payload, AKOSHA_MAX_MESSAGE_BYTES) */
  chunkMaxBytes: number;
}

/** A batch of upload messages made into the shard writer's input, in stream order per shard. */
export interface PreparedBatch {
  byShard: [number, ChunkInput[]][];
  messages: number;
  skipped: number;
  rejected: number;
  valid: number;
  /** system_id/upload_id of the valid messages */
  uploads: string[];
  decodeSeconds: number;
  embedSeconds: number;
}

/**
 * What the embed stage does to a batch of uploads, minus the publishing: decode
 * (a bad message is skipped: it has its dead letter already), one embedder call
 * for every record without a vector, then the same chunking as the live path, so
 * the shard transaction's (upload, part, chunk) bookkeeping matches.
 */
export async function prepareBatch(
  messages: RawUpload[],
  embedder: Embedder,
  limits: PrepareLimits,
  dryRun = false,
): Promise<PreparedBatch> {
  const started = performance.now();
  const decoded: { upload: DecodedUpload; seq: number }[] = [];
  const out: PreparedBatch = {
    byShard: [],
    messages: messages.length,
    skipped: 0,
    rejected: 0,
    valid: 0,
    uploads: [],
    decodeSeconds: 0,
    embedSeconds: 0,
  };
  for (const msg of messages) {
    try {
      const upload = decodeUpload(msg.subject, msg.data, limits.maxMessageBytes);
      decoded.push({ upload, seq: msg.seq });
      out.uploads.push(`${upload.envelope.system_id}/${upload.envelope.upload_id}`);
      out.rejected += upload.rejected.length;
      out.valid += upload.records.length;
    } catch {
      out.skipped++;
    }
  }
  const embedStarted = performance.now();
  out.decodeSeconds = (embedStarted - started) / 1000;
  if (!dryRun) out.byShard = await embedAndChunk(decoded, embedder, limits);
  out.embedSeconds = (performance.now() - embedStarted) / 1000;
  return out;
}

async function embedAndChunk(
  decoded: { upload: DecodedUpload; seq: number }[],
  embedder: Embedder,
  limits: PrepareLimits,
): Promise<[number, ChunkInput[]][]> {
  const { vectors } = await embedRecords(
    decoded.map((d) => d.upload),
    embedder,
  );
  const byShard = new Map<number, ChunkInput[]>();
  for (const { upload, seq } of decoded) {
    const list = byShard.get(upload.shard) ?? [];
    list.push(...chunksOf(upload, seq, vectors.get(upload)!, embedder, limits.chunkMaxBytes));
    byShard.set(upload.shard, list);
  }
  return [...byShard];
}

function chunksOf(
  upload: DecodedUpload,
  seq: number,
  vectors: RecordVectors[],
  embedder: Embedder,
  maxBytes: number,
): ChunkInput[] {
  const records = upload.records.map((r, i) =>
    toEmbeddedRecord(r.record, vectors[i]!, vectors[i]!.fromProducer),
  );
  const messages = packChunks(upload, records, {
    uploadSeq: seq,
    embedder: embedder.info,
    maxBytes,
  });
  let offset = 0;
  return messages.map((message) => {
    const chunkVectors = vectors.slice(offset, offset + message.records.length);
    offset += message.records.length;
    // the writer takes each record's vector from `vectors`: its text form, needed above to
    // size the chunks as the live path does, would only be copied to the writing thread
    const records = message.records.map((r) => ({ ...r, vector: '' }));
    return { message: { ...message, records }, vectors: chunkVectors.map((v) => v.vector) };
  });
}
