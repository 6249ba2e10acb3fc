/**
 * Uploads of many records each for the search-under-ingest phase, named `<prefix>-<i>` so that
 * bench/ingest-events.ts tracks them; every record's text is unique (a repeat would be a
 * duplicate, not a write).
 */
import { shardOf } from '../schemas/ids';
import { subjects } from '../streams/subjects';
import type { PreparedUpload } from './ingest-load';
import { textOfBytes } from './lib';

const SYSTEMS = 20;
const encoder = new TextEncoder();

export function prepareRecordUploads(
  prefix: string,
  count: number,
  recordsPerUpload: number,
  recordBytes: number,
): PreparedUpload[] {
  const now = new Date().toISOString();
  return Array.from({ length: count }, (_, i): PreparedUpload => {
    const systemId = `search-host-${i % SYSTEMS}`;
    const uploadId = `${prefix}-${i}`;
    const records = Array.from({ length: recordsPerUpload }, (_, j) => {
      const id = `${uploadId}-r${j}`;
      const content = `${id} ${textOfBytes(i * recordsPerUpload + j, recordBytes)}`;
      return { id, kind: 'conversation', content, timestamp: now, project: 'bench' };
    });
    const body = JSON.stringify({
      schema_version: 1,
      upload_id: uploadId,
      system_id: systemId,
      created_at: now,
      records,
    });
    const subject = subjects.upload(shardOf(systemId), systemId);
    return { subject, body: encoder.encode(body), msgID: uploadId };
  });
}
