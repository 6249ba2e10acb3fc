/**
 * Every message contract: one zod schema per message gives its type, runtime check and published
 * JSON Schema; plus ids, the shard key and the bounds of a message.
 */

export { AgingEvent } from './aging';
export { DeadLetter, DeadLetterStage, MAX_INLINE_PAYLOAD_BYTES } from './dead-letter';
export type { PayloadRef } from './dead-letter';
export { EmbeddedMessage } from './embedded';
export type { EmbeddedRecord, EmbedderInfo } from './embedded';
export {
  EntityRef,
  GRAPH_SCHEMA_VERSION,
  GraphEntity,
  GraphMention,
  GraphMessage,
  GraphRelation,
  entityId,
  graphMsgId,
  normaliseEntityId,
  normaliseEntityPart,
} from './graph';
export type { GraphMessageInput } from './graph';
export {
  RECORD_ID_PATTERN,
  RecordId,
  SHARD_COUNT,
  SYSTEM_ID_PATTERN,
  SystemId,
  UploadId,
  normaliseSystemId,
  shardOf,
} from './ids';
export { IngestedEvent, MAX_IDS_PER_EVENT } from './ingested';
export { MAX_JSON_DEPTH, jsonTextTooDeep } from './json-depth';
export { EMBEDDING_DIM, IsoTimestamp, MAX_CONTENT_CHARS, MemoryRecord } from './record';
export type { MemoryKind } from './record';
export { ReplayRequest } from './replay-request';
export type { ReplayReply } from './replay-request';
export {
  MAX_RECORDS_PER_PART,
  UPLOAD_SCHEMA_VERSION,
  UploadEnvelope,
  UploadMessage,
} from './upload';
