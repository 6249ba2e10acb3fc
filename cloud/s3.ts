import type { S3Client } from '@aws-sdk/client-s3';
import { type CloudConfig, readPemFile, withCertAdvice } from '../infra';
import { s3Client } from '../storage';

/** The setting that names a private CA for Session-Buddy's bucket. */
export const CLOUD_CA_SETTING = 'AKOSHA_SB_S3_CA';

/**
 * A client for Session-Buddy's bucket. Credentials come from the AWS SDK's usual chain
 * (environment, shared files, instance roles). A private CA is either `caFile`
 * (AKOSHA_SB_S3_CA) or, process-wide, NODE_EXTRA_CA_CERTS.
 */
export function cloudS3Client(c: CloudConfig): S3Client {
  // read here first so that a bad path fails at start naming this setting, not the cold tier's
  if (c.caFile) readPemFile(CLOUD_CA_SETTING, c.caFile);
  return s3Client({
    bucket: c.bucket,
    region: c.region,
    forcePathStyle: c.forcePathStyle,
    caFile: c.caFile,
    ...(c.endpoint !== undefined && { endpoint: c.endpoint }),
  });
}

/** An S3 error as it is, or with the setting that fixes an untrusted certificate. */
export function explainS3Error(err: unknown): unknown {
  return withCertAdvice(err, CLOUD_CA_SETTING);
}
