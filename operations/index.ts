/**
 * Operator tools behind the CLI and the dead-letter routes: replay, verify, re-embed, re-announce,
 * dead-letter inspection and requeue, repair of a shared vector store, and the guard that refuses
 * to touch shards a running writer owns.
 */

export { announcePending } from './announce';
export { DeadLetterOps } from './dead-letters';
export type { DeadLetterFilter, RequeueResult } from './dead-letters';
export type { GraphStreamProgress } from './graph-stream';
export { refuseOwnedShards, refuseOwnedShardsAt, selectedShards } from './lease-guard';
export { reembed } from './reembed';
export { replayGraph } from './replay-graph';
export type { GraphReplaySummary } from './replay-graph';
export { replayUploads } from './replay';
export type { ReplayProgress } from './replay';
export { rebuildSharedVectors, resyncSharedVectors, verifySharedVectors } from './vector-store';
export { verifyGraph } from './verify-graph';
export type { GraphVerification } from './verify-graph';
export { verifyShards } from './verify';
