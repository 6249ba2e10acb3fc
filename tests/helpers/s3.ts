import { spawn } from 'node:child_process';
import { mkdtempSync, readFileSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import type { S3Client } from '@aws-sdk/client-s3';
import { s3Client } from '../../storage/tiers/object-store';
import { kill } from './processes';
import type { TestCa } from './tls';

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

/**
 * s3rver on 127.0.0.1, an ephemeral port and a temp directory, with one bucket; over https
 * with a server certificate of `tlsCa` when given (the client then trusts that CA).
 */
export async function startTestS3(bucket = 'akosha-cold', tlsCa?: TestCa): Promise<TestS3> {
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
    ...(tlsCa && serverCertificate(tlsCa)),
  });
  const { port } = await server.run();
  const endpoint = `${tlsCa ? 'https' : 'http'}://127.0.0.1:${port}`;
  const client = s3Client({
    bucket,
    endpoint,
    forcePathStyle: true,
    credentials: { accessKeyId: 'S3RVER', secretAccessKey: 'S3RVER' },
    ...(tlsCa && { caFile: tlsCa.cert }),
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

function serverCertificate(ca: TestCa): { cert: Buffer; key: Buffer } {
  const files = ca.server('s3');
  return { cert: readFileSync(files.cert), key: readFileSync(files.key) };
}

export interface TestS3Process {
  bucket: string;
  endpoint: string;
  /** SIGSTOP: the server hangs, connections stay open (a stuck object store) */
  pause(): void;
  /** SIGCONT */
  resume(): void;
  stop(): Promise<void>;
}

/** s3rver as a process of its own, so a test can freeze it. */
export async function startTestS3Process(bucket = 'akosha-cold'): Promise<TestS3Process> {
  const dir = mkdtempSync(join(tmpdir(), 'akosha-s3p-'));
  const child = spawn(
    process.execPath,
    [
      '-e',
      `new (require('s3rver'))({ address: '127.0.0.1', port: 0, silent: true,
        directory: ${JSON.stringify(dir)}, configureBuckets: [{ name: ${JSON.stringify(bucket)} }] })
        .run().then(({ port }) => console.log('port ' + port));`,
    ],
    { stdio: ['ignore', 'pipe', 'inherit'] },
  );
  const port = await new Promise<number>((resolve, reject) => {
    child.stdout!.once('data', (d: Buffer) => resolve(Number(/port (\d+)/.exec(String(d))?.[1])));
    child.once('exit', (code) => reject(new Error(`s3rver exited early (${code})`)));
  });
  return {
    bucket,
    endpoint: `http://127.0.0.1:${port}`,
    pause: () => child.kill('SIGSTOP'),
    resume: () => child.kill('SIGCONT'),
    async stop() {
      child.kill('SIGCONT');
      await kill(child, 'SIGKILL');
      rmSync(dir, { recursive: true, force: true });
    },
  };
}
