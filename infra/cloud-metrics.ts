import { Counter, Gauge, type Registry } from 'prom-client';

/** The cloud watcher (cloud/): Session-Buddy uploads found in the bucket and imported. */
export function cloudMetrics(r: Registry[]) {
  return {
    cloudUploadsSeen: new Counter({
      name: 'akosha_cloud_uploads_seen_total',
      help: 'Uploads with a manifest queued for import, by how they were found (poll, event).',
      labelNames: ['via'] as const,
      registers: r,
    }),
    cloudUploadsImported: new Counter({
      name: 'akosha_cloud_uploads_imported_total',
      help: 'Uploads imported from the bucket.',
      registers: r,
    }),
    cloudUploadsFailed: new Counter({
      name: 'akosha_cloud_uploads_failed_total',
      help: 'Uploads dead-lettered (stage cloud), by reason code.',
      labelNames: ['code'] as const,
      registers: r,
    }),
    cloudUploadsAbandoned: new Counter({
      name: 'akosha_cloud_uploads_abandoned_total',
      help: 'Uploads with files but no manifest past AKOSHA_SB_ABANDON_H, given up.',
      registers: r,
    }),
    cloudLag: new Gauge({
      name: 'akosha_cloud_lag_seconds',
      help: 'Age of the oldest manifest found and not imported yet; 0 when caught up.',
      registers: r,
    }),
    cloudBytesDownloaded: new Counter({
      name: 'akosha_cloud_bytes_downloaded_total',
      help: 'Bytes downloaded from the bucket (as stored, before decompression).',
      registers: r,
    }),
    cloudRecordsSkipped: new Counter({
      name: 'akosha_cloud_records_skipped_total',
      help: 'Records and graph items not published again: an earlier import of the system had them.',
      registers: r,
    }),
    cloudBadKeys: new Gauge({
      name: 'akosha_cloud_bad_keys',
      help: 'Keys under systems/ whose system id or upload id is not valid, at the last poll.',
      registers: r,
    }),
    cloudEventsRejected: new Counter({
      name: 'akosha_cloud_events_rejected_total',
      help: 'Bucket notifications that queued nothing, by reason.',
      labelNames: ['reason'] as const,
      registers: r,
    }),
    cloudWatcherActive: new Gauge({
      name: 'akosha_cloud_watcher_active',
      help: '1 while this process holds the watcher lease (polls, listens and imports).',
      registers: r,
    }),
  };
}
