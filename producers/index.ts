/**
 * What publishes onto the uploads and graph streams: the publishers, and the Session-Buddy
 * importers that read its DuckDB files (session-buddy/) and publish what changed.
 */

export type { DigestSet } from './digest-set';
export { importSessionBuddyGraph } from './import-session-buddy-graph';
export type { GraphImportFiles, GraphImportTotals } from './import-session-buddy-graph';
export { importSessionBuddy } from './import-session-buddy';
export type { ImportProgress } from './import-session-buddy';
export { publishGraph } from './publish-graph';
export { publishUpload } from './publish-upload';
export type { PublishResult } from './publish-upload';
export { MAX_DIGEST_KEYS, RecordDigest, digestFingerprint } from './record-digest';
export { openReadOnly } from './session-buddy/local-copy';
export { openSessionBuddyFile } from './session-buddy/reader';
export type { SkippedRow } from './session-buddy/rows';
