import { mkdtempSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import type { S3Client } from '@aws-sdk/client-s3';
import { s3Client } from '../../storage/tiers/object-store';

interface S3rverInstance {
  run(): Promise<{ address: string; port: number }>;
  close(): Promise<void>;
}
type S3rverClass = new (options: Record<string, unknown>) => S3rverInstance;

export interface TestS3 {
  client: S3Client;
  bucket: string;
  endpoint: string;
  /** s3rver's storage directory (objects can be tampered with there) */
  dir: string;
  stop(): Promise<void>;
}

/** s3rver on 127.0.0.1, an ephemeral port and a temp directory, with one bucket. */
export async function startTestS3(bucket = 'akosha-cold'): Promise<TestS3> {
  // s3rver ships no types; it is a dev dependency used only here.
  // eslint-disable-next-line @typescript-eslint/no-require-imports
  const S3rver = require('s3rver') as S3rverClass;
  const dir = mkdtempSync(join(tmpdir(), 'akosha-s3-'));
  const server = new S3rver({
    address: '127.0.0.1',
    port: 0,
    silent: true,
    directory: dir,
    configureBuckets: [{ name: bucket }],
  });
  const { port } = await server.run();
  const endpoint = `http://127.0.0.1:${port}`;
  const client = s3Client({
    bucket,
    endpoint,
    forcePathStyle: true,
    credentials: { accessKeyId: 'S3RVER', secretAccessKey: 'S3RVER' },
  });
  return {
    client,
    bucket,
    endpoint,
    dir,
    async stop() {
      client.destroy();
      await server.close();
      rmSync(dir, { recursive: true, force: true });
    },
  };
}
