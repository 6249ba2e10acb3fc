export {
  countSessionBuddyRecords,
  openSessionBuddyFile,
  readSessionBuddyFile,
  type ReadOptions,
  type SessionBuddyFile,
} from './reader';
export { mappedRecordId, parseMetadata, type SkippedRow } from './rows';
export { SESSION_BUDDY_TABLES } from './tables';
export {
  readSessionBuddyGraph,
  STATEMENTS_PER_BATCH,
  type GraphFileKind,
  type GraphReadOptions,
} from './graph-reader';
export { graphSkip, type GraphSkipCode } from './graph-rows';
