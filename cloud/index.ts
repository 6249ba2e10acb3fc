/**
 * The watcher of Session-Buddy's cloud bucket (S3, R2, MinIO): finds uploads by listing and
 * bucket notifications and imports them. Exports how to start it and its status.
 */

export { startCloudWatcher } from './start-watcher';
export type { CloudWatcher, WatcherStatus } from './watcher';
