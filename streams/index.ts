/**
 * JetStream as data: subjects (spelled only here), stream and consumer definitions and their
 * idempotent apply, stream status, the stream reader, and the writer-lease bucket.
 */

export { applyTopology } from './apply';
export {
  CLOUD_CONSUMER,
  GRAPH_CONSUMER,
  INGEST_CONSUMER,
  STREAM,
  streamDefinitions,
  writerConsumerName,
} from './definitions';
export { isRevisionConflict, leaseKey, openLeaseBucket } from './lease-bucket';
export { writerLeases } from './lease-status';
export type { LeaseStatus } from './lease-status';
export { streamsStatus } from './status';
export { openStreamReader, scanBatches, subjectMatches } from './stream-reader';
export {
  QUERY_SERVICE,
  SYSTEM_AUDIT_ACTIONS,
  groupOfShard,
  parseEmbeddedSubject,
  parseGraphSubject,
  parseUploadSubject,
  shardsOfGroup,
  subjects,
  writerToken,
} from './subjects';
export type { AgingTier, SystemAuditAction } from './subjects';
