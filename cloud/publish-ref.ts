import type { JetStreamClient } from '@nats-io/jetstream';
import { subjects } from '../streams';
import { cloudMsgId, manifestKey, type CloudUploadRef } from './types';

/**
 * Queues one upload for import. The Nats-Msg-Id makes the poller and a bucket event that
 * find it together queue it once; found again later, the importer sees it already imported.
 * Returns whether the broker already had it.
 */
export async function publishUploadRef(
  js: JetStreamClient,
  bucket: string,
  systemId: string,
  uploadId: string,
  via: CloudUploadRef['via'],
): Promise<boolean> {
  const ref: CloudUploadRef = {
    schema_version: 1,
    bucket,
    system_id: systemId,
    upload_id: uploadId,
    manifest_key: manifestKey(systemId, uploadId),
    found_at: new Date().toISOString(),
    via,
  };
  const ack = await js.publish(subjects.cloudUpload(systemId), JSON.stringify(ref), {
    msgID: cloudMsgId(systemId, uploadId),
  });
  return ack.duplicate;
}
