import { completeFromRows, type CompletedUpload } from '../../storage/completion';
import type { ShardSink, ShardSinkResult, UnannouncedUpload, UploadRef } from '../../storage';
import type { ChunkRow } from '../../storage/shard-queries';
import {
  chunkKeyOf,
  planWrites,
  recordKey,
  uploadKey,
  type ChunkInput,
  type ChunkOutcome,
  type NewRow,
} from '../../storage/write-plan';

interface ShardState {
  /** recordKey(system_id, id) → the stored row */
  records: Map<string, NewRow>;
  /** recordKey(system_id, content sha256) */
  contents: Set<string>;
  /** chunkKey → its row, as upload_chunks holds it */
  chunks: Map<string, ChunkRow & { uploadSeq: number }>;
  /** uploadKey → completion, as uploads_completed holds it */
  completions: Map<string, { completedAtMs: number; announced: boolean }>;
}

/**
 * A ShardSink in memory, with HotStore's semantics: the same write plan (stored or
 * duplicate by key or content), chunks written once (a redelivery is reported, not
 * rewritten), completions from the same chunk-row rules, the fence checked before
 * "commit" (nothing applied when it fails), and the announcement outbox.
 * `failNextWrites(err)` makes the next transactions throw before anything is applied.
 */
export class MemoryShardSink implements ShardSink {
  private readonly state = new Map<number, ShardState>();
  private readonly failures: Error[] = [];
  transactions = 0;

  constructor(readonly model: string) {}

  get shards(): number[] {
    return [...this.state.keys()].sort((a, b) => a - b);
  }

  failNextWrites(...errors: Error[]): void {
    this.failures.push(...errors);
  }

  async writeShard(
    shard: number,
    inputs: ChunkInput[],
    fence?: () => boolean,
  ): Promise<ShardSinkResult> {
    const failure = this.failures.shift();
    if (failure) throw failure;
    const s = this.shard(shard);
    const otherModel = inputs.filter((i) => i.message.embedder.model !== this.model);
    const accepted = inputs.filter((i) => i.message.embedder.model === this.model);
    const { fresh, earlier } = splitRedelivered(s, accepted);
    const known = { keys: new Set(s.records.keys()), contents: new Set(s.contents) };
    const { rows, outcomes } = planWrites(fresh, known);
    if (fence && !fence()) throw new Error('writer lease lost before COMMIT');
    this.transactions++;
    for (const row of rows) {
      const systemId = row.input.message.system_id;
      s.records.set(recordKey(systemId, row.record.id), row);
      s.contents.add(recordKey(systemId, row.record.content_sha256));
    }
    fresh.forEach((input, i) => s.chunks.set(chunkKeyOf(input), chunkRow(input, outcomes[i]!)));
    const completed = this.complete(s, accepted);
    return { chunks: [...outcomes, ...earlier], completed, rows, otherModel };
  }

  async markAnnounced(shard: number, uploads: UploadRef[]): Promise<void> {
    for (const u of uploads) {
      const completion = this.state.get(shard)?.completions.get(uploadKey(u.systemId, u.uploadId));
      if (completion) completion.announced = true;
    }
  }

  async unannouncedUploads(shard: number, before: Date): Promise<UnannouncedUpload[]> {
    const s = this.state.get(shard);
    if (!s) return [];
    const due = [...s.completions]
      .filter(([, c]) => !c.announced && c.completedAtMs < before.getTime())
      .map(([key]) => key);
    return due.flatMap((key) => {
      const rows = [...s.chunks.values()].filter((r) => keyOfRow(r) === key);
      const uploadSeq = Math.min(...rows.map((r) => r.uploadSeq));
      return completeFromRows(rows).map(({ upload }) => ({ ...upload, uploadSeq }));
    });
  }

  /** The record ids the shard holds, per system, sorted. */
  storedIds(shard: number): string[] {
    return [...(this.state.get(shard)?.records.values() ?? [])].map((r) => r.record.id).sort();
  }

  isAnnounced(shard: number, systemId: string, uploadId: string): boolean | undefined {
    return this.state.get(shard)?.completions.get(uploadKey(systemId, uploadId))?.announced;
  }

  /** Uploads of the batch that are whole now; records the completions this batch makes. */
  private complete(s: ShardState, inputs: ChunkInput[]): CompletedUpload[] {
    const touched = new Set(inputs.map(({ message: m }) => uploadKey(m.system_id, m.upload_id)));
    const rows = [...s.chunks.values()].filter((r) => touched.has(keyOfRow(r)));
    const completed = completeFromRows(
      rows.map((r) => ({ ...r, completionRecorded: s.completions.has(keyOfRow(r)) })),
    ).map(({ upload }) => upload);
    for (const u of completed.filter((c) => c.completedNow))
      s.completions.set(uploadKey(u.systemId, u.uploadId), {
        completedAtMs: Date.now(),
        announced: false,
      });
    return completed;
  }

  private shard(shard: number): ShardState {
    let s = this.state.get(shard);
    if (!s) {
      s = { records: new Map(), contents: new Set(), chunks: new Map(), completions: new Map() };
      this.state.set(shard, s);
    }
    return s;
  }
}

const keyOfRow = (r: ChunkRow) => uploadKey(r.outcome.systemId, r.outcome.uploadId);

function chunkRow(input: ChunkInput, outcome: ChunkOutcome): ChunkRow & { uploadSeq: number } {
  const m = input.message;
  return {
    partCount: m.part.count,
    chunkCount: m.chunk.count,
    completionRecorded: false,
    outcome: { ...outcome, redelivered: true },
    uploadSeq: m.upload_seq,
  };
}

/** Chunks written by an earlier transaction (or twice in this batch) are reported, not rewritten. */
function splitRedelivered(s: ShardState, inputs: ChunkInput[]) {
  const fresh: ChunkInput[] = [];
  const earlier: ChunkOutcome[] = [];
  const inBatch = new Set<string>();
  for (const input of inputs) {
    const key = chunkKeyOf(input);
    const before = s.chunks.get(key);
    if (before) earlier.push(before.outcome);
    else if (!inBatch.has(key)) {
      fresh.push(input);
      inBatch.add(key);
    }
  }
  return { fresh, earlier };
}
