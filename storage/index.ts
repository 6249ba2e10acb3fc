export type { ShardSink, ShardSinkResult } from './shard-sink';
export type { UnannouncedUpload, UploadRef } from './announcements';
export type { CompletedUpload } from './completion';
export type { ShardWriteResult } from './shard-transaction';
export type { ChunkInput, ChunkOutcome, NewRow } from './write-plan';
export { HotStore, ModelMismatchError } from './hot-store';
export type { HotStoreOptions, SearchOptions } from './hot-store';
export type { HotHit } from './search-hit';
