import { AkoshaError, issuesFrom } from '../infra';
import { subjects } from '../streams';
import { CloudUploadRef } from './types';

/** A reference is a few hundred bytes: the ids, the bucket and the manifest key. */
export const MAX_REF_BYTES = 16 * 1024;

/** Validates a queued upload reference against its schema, its subject and the watched bucket. */
export function decodeUploadRef(subject: string, data: Uint8Array, bucket: string): CloudUploadRef {
  if (data.byteLength > MAX_REF_BYTES)
    throw new AkoshaError('OVERSIZE', `upload reference of ${data.byteLength} bytes`);
  let raw: unknown;
  try {
    raw = JSON.parse(Buffer.from(data).toString('utf8'));
  } catch (err) {
    throw new AkoshaError('MALFORMED_JSON', (err as Error).message);
  }
  const parsed = CloudUploadRef.safeParse(raw);
  if (!parsed.success)
    throw new AkoshaError('SCHEMA_INVALID', undefined, { issues: issuesFrom(parsed.error.issues) });
  const ref = parsed.data;
  if (subject !== subjects.cloudUpload(ref.system_id))
    throw new AkoshaError('SUBJECT_MISMATCH', `${subject} does not carry system ${ref.system_id}`);
  if (ref.bucket !== bucket)
    throw new AkoshaError('SCHEMA_INVALID', `bucket ${ref.bucket} is not the watched ${bucket}`);
  return ref;
}
