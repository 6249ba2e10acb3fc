export {
  countSessionBuddyRecords,
  openSessionBuddyFile,
  readSessionBuddyFile,
  type ReadOptions,
  type SessionBuddyFile,
} from './reader';
export { mappedRecordId, parseMetadata, type SkippedRow } from './rows';
export { SESSION_BUDDY_TABLES } from './tables';
