import type { UnannouncedUpload, UploadRef } from './announcements';
import type { ShardWriteResult } from './shard-transaction';
import type { ChunkInput } from './write-plan';

/** One shard transaction's outcome, plus the chunks the sink did not take (another model's vectors). */
export type ShardSinkResult = ShardWriteResult & { otherModel: ChunkInput[] };

/**
 * What a shard writer needs of the store it writes to: one transaction per shard and
 * batch, idempotent by (system_id, record id) and by chunk, and the outbox of
 * ingest-complete announcements. HotStore is the real one (DuckDB shard files).
 */
export interface ShardSink {
  /** the embedder model whose vectors the sink holds; chunks of another come back in `otherModel` */
  readonly model: string;
  /** the shards the sink holds (the outbox sweep reads each) */
  readonly shards: number[];
  /**
   * Writes the chunks of one shard in one transaction. `fence` is checked right before
   * COMMIT: when it does not hold, nothing is committed and the call throws.
   */
  writeShard(shard: number, inputs: ChunkInput[], fence?: () => boolean): Promise<ShardSinkResult>;
  /** flags uploads whose ingest-complete event the broker acknowledged */
  markAnnounced(shard: number, uploads: UploadRef[]): Promise<void>;
  /** completed uploads not flagged yet, completed before `before` (the outbox) */
  unannouncedUploads(shard: number, before: Date): Promise<UnannouncedUpload[]>;
}
