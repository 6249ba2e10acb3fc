import { createHash } from 'node:crypto';
import { createWriteStream } from 'node:fs';
import { Readable, Transform } from 'node:stream';
import { pipeline } from 'node:stream/promises';
import { createGunzip } from 'node:zlib';
import { GetObjectCommand, type S3Client } from '@aws-sdk/client-s3';
import { AkoshaError } from '../infra';
import type { ManifestFile } from './manifest';
import { explainS3Error } from './s3';

export interface ObjectRef {
  bucket: string;
  key: string;
}

/** One object's body as a stream, with its length when the server sent one; null when absent. */
export async function getObject(
  s3: S3Client,
  { bucket, key }: ObjectRef,
): Promise<{ body: Readable; contentLength: number | undefined } | null> {
  try {
    const out = await s3.send(new GetObjectCommand({ Bucket: bucket, Key: key }));
    if (!(out.Body instanceof Readable)) throw new Error(`${key}: the response has no body`);
    return { body: out.Body, contentLength: out.ContentLength };
  } catch (err) {
    if (isNotFound(err)) return null;
    throw explainS3Error(err);
  }
}

function isNotFound(err: unknown): boolean {
  const e = err as { name?: string; $metadata?: { httpStatusCode?: number } };
  return e.name === 'NoSuchKey' || e.$metadata?.httpStatusCode === 404;
}

/** Counts and hashes the bytes passing through; fails once more than `cap` have passed. */
class Meter extends Transform {
  bytes = 0;
  private readonly hash = createHash('sha256');
  constructor(
    private readonly cap: number,
    private readonly tooLarge: () => AkoshaError,
    private readonly onBytes: (n: number) => void = () => {},
  ) {
    super();
  }
  override _transform(
    chunk: Buffer,
    _enc: BufferEncoding,
    done: (e?: Error | null, c?: Buffer) => void,
  ) {
    this.bytes += chunk.length;
    this.onBytes(chunk.length);
    if (this.bytes > this.cap) return done(this.tooLarge());
    this.hash.update(chunk);
    done(null, chunk);
  }
  sha256 = () => this.hash.digest('hex');
}

/** What a download stored and decompressed; `plain*` equals `stored*` for an uncompressed file. */
export interface DownloadedFile {
  storedBytes: number;
  storedSha256: string;
  plainBytes: number;
  plainSha256: string;
}

export interface DownloadLimits {
  /** the most a file may hold after decompression */
  maxFileBytes: number;
  onBytes?: (bytes: number) => void;
}

/** zlib's deflateBound: the most gzip can add to incompressible data (plus header and trailer). */
export const gzipBound = (n: number) => n + Math.ceil(n / 4096) + Math.ceil(n / 16384) + 1024;

/**
 * Streams one object to `dest` (gunzipping it when its entry says gzip), never holding it in
 * memory, reading no more than the caps allow; then checks the entry's size and checksum.
 */
export async function downloadFile(
  s3: S3Client,
  obj: ObjectRef,
  entry: ManifestFile,
  dest: string,
  limits: DownloadLimits,
): Promise<DownloadedFile> {
  const gzip = entry.compression === 'gzip';
  const storedCap = gzip ? gzipBound(limits.maxFileBytes) : limits.maxFileBytes;
  const tooLarge = (what: string) => () =>
    new AkoshaError(
      'CLOUD_TOO_LARGE',
      `${obj.key}: ${what} more than ${limits.maxFileBytes} bytes`,
    );
  const found = await getObject(s3, obj);
  if (!found) throw new AkoshaError('CLOUD_FILE_MISSING', `${obj.key}: not in the bucket`);
  if (found.contentLength !== undefined && found.contentLength > storedCap) {
    found.body.destroy();
    throw tooLarge(`stored as ${found.contentLength} bytes, which may hold`)();
  }
  const stored = new Meter(storedCap, tooLarge('stored bytes hold'), limits.onBytes);
  const plain = gzip ? new Meter(limits.maxFileBytes, tooLarge('decompresses to')) : stored;
  await transfer(found.body, stored, plain, dest, obj.key);
  if (found.contentLength !== undefined && stored.bytes !== found.contentLength) {
    // a transfer cut short: not the upload's fault, so a plain (retryable) error
    throw new Error(`${obj.key}: read ${stored.bytes} of ${found.contentLength} bytes`);
  }
  const storedSha256 = stored.sha256();
  const got = {
    storedBytes: stored.bytes,
    storedSha256,
    plainBytes: plain.bytes,
    plainSha256: gzip ? plain.sha256() : storedSha256,
  };
  checkAgainstEntry(obj.key, entry, got);
  return got;
}

async function transfer(body: Readable, stored: Meter, plain: Meter, dest: string, key: string) {
  const gunzip = stored === plain ? undefined : createGunzip();
  let gunzipFailed = false;
  gunzip?.once('error', () => (gunzipFailed = true));
  const stages = gunzip ? [stored, gunzip, plain] : [stored];
  try {
    await pipeline([body, ...stages, createWriteStream(dest)]);
  } catch (err) {
    if (err instanceof AkoshaError) throw err;
    if (gunzipFailed) {
      const reason = (err as Error).message;
      throw new AkoshaError('CLOUD_GZIP_CORRUPT', `${key}: not valid gzip (${reason})`, {
        cause: err,
      });
    }
    throw explainS3Error(err);
  }
}

/**
 * Size and checksum are checked only when given (non-zero, non-empty). Either may describe the
 * stored bytes or the database they decompress to: both are known here, and both pin the content.
 */
function checkAgainstEntry(key: string, entry: ManifestFile, got: DownloadedFile): void {
  const size = entry.size_bytes;
  if (size > 0 && size !== got.storedBytes && size !== got.plainBytes) {
    throw new AkoshaError(
      'CLOUD_SIZE_MISMATCH',
      `${key}: the manifest says ${size} bytes, the object has ${got.storedBytes}` +
        (got.plainBytes !== got.storedBytes ? ` (${got.plainBytes} decompressed)` : ''),
    );
  }
  const sum = entry.checksum.toLowerCase();
  if (sum !== '' && sum !== got.storedSha256 && sum !== got.plainSha256) {
    throw new AkoshaError(
      'CLOUD_CHECKSUM_MISMATCH',
      `${key}: the manifest's sha256 ${sum} is not the object's ${got.storedSha256}`,
    );
  }
}
