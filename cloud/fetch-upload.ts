import { open, mkdtemp, rm } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import type { Readable } from 'node:stream';
import type { S3Client } from '@aws-sdk/client-s3';
import { AkoshaError } from '../infra';
import { openReadOnly } from '../producers';
import { downloadFile, getObject } from './download-file';
import {
  checkRefKey,
  fileKey,
  ignoredFiles,
  knownFiles,
  MAX_MANIFEST_BYTES,
  parseManifest,
  type KnownFileRole,
  type SessionBuddyManifest,
} from './manifest';
import type { CloudUploadRef } from './types';

export interface FetchedUpload {
  manifest: SessionBuddyManifest;
  /** plain DuckDB files in a temp dir, each opened once read-only to prove it */
  files: Partial<Record<KnownFileRole, string>>;
  /** manifest entries that are not imported */
  ignored: string[];
  /** bytes read from the bucket (stored, before decompression), for the bytes-downloaded metric */
  bytesDownloaded: number;
  /** removes the temp dir; safe to call more than once */
  cleanup(): Promise<void>;
}

export interface FetchOptions {
  /** the most one file may hold after decompression (AKOSHA_SB_MAX_FILE_BYTES) */
  maxFileBytes: number;
  /** where the temp dir is made; default the system's */
  tempDir?: string;
  /** called as bytes arrive, so that a failed download counts too */
  onBytes?: (bytes: number) => void;
}

/**
 * Downloads one upload's manifest and the files Akosha imports from it. A fault of the upload
 * throws an AkoshaError with a CLOUD_* code (not retryable); a fault of the network or the
 * bucket throws a plain error (the caller retries). The temp dir is gone after any throw.
 */
export async function fetchUpload(
  s3: S3Client,
  ref: CloudUploadRef,
  opts: FetchOptions,
): Promise<FetchedUpload> {
  checkRefKey(ref);
  const dir = await mkdtemp(join(opts.tempDir ?? tmpdir(), 'akosha-cloud-'));
  const cleanup = () => rm(dir, { recursive: true, force: true });
  let bytesDownloaded = 0;
  const onBytes = (n: number) => {
    bytesDownloaded += n;
    opts.onBytes?.(n);
  };
  try {
    const manifest = await fetchManifest(s3, ref, onBytes);
    const files: FetchedUpload['files'] = {};
    for (const entry of knownFiles(manifest)) {
      const obj = { bucket: ref.bucket, key: fileKey(ref, entry.name) };
      const path = join(dir, entry.name);
      await downloadFile(s3, obj, entry, path, { maxFileBytes: opts.maxFileBytes, onBytes });
      await checkOpensAsDuckDb(obj.key, path, entry.compression);
      files[entry.role] = path;
    }
    return { manifest, files, ignored: ignoredFiles(manifest), bytesDownloaded, cleanup };
  } catch (err) {
    await cleanup();
    throw err;
  }
}

async function fetchManifest(
  s3: S3Client,
  ref: CloudUploadRef,
  onBytes: (n: number) => void,
): Promise<SessionBuddyManifest> {
  const key = ref.manifest_key;
  const found = await getObject(s3, { bucket: ref.bucket, key });
  if (!found) throw new AkoshaError('CLOUD_MANIFEST_INVALID', `${key}: not in the bucket`);
  if ((found.contentLength ?? 0) > MAX_MANIFEST_BYTES) {
    found.body.destroy();
    throw new AkoshaError(
      'CLOUD_MANIFEST_INVALID',
      `${key}: larger than ${MAX_MANIFEST_BYTES} bytes`,
    );
  }
  const bytes = await readCapped(found.body, MAX_MANIFEST_BYTES + 1);
  onBytes(bytes.length);
  return parseManifest(bytes, ref);
}

/** At most `cap` bytes of a stream (the rest is not read); parseManifest rejects what is too long. */
async function readCapped(body: Readable, cap: number): Promise<Buffer> {
  const chunks: Buffer[] = [];
  let length = 0;
  for await (const chunk of body) {
    chunks.push(chunk as Buffer);
    length += (chunk as Buffer).length;
    if (length >= cap) break;
  }
  body.destroy();
  return Buffer.concat(chunks).subarray(0, cap);
}

/**
 * Opened read-only once, so the importer gets a DuckDB file or nothing. A file marked "none"
 * that is really gzip is taken at the manifest's word and fails here; the message says so.
 */
async function checkOpensAsDuckDb(key: string, path: string, compression: string): Promise<void> {
  try {
    const instance = await openReadOnly(key, path);
    instance.closeSync();
  } catch (err) {
    const hint =
      compression === 'none' && (await startsLikeGzip(path))
        ? ' (it starts like gzip, but the manifest says compression "none")'
        : '';
    throw new AkoshaError('CLOUD_DB_UNREADABLE', `${(err as Error).message}${hint}`, {
      cause: err,
    });
  }
}

async function startsLikeGzip(path: string): Promise<boolean> {
  const handle = await open(path, 'r');
  try {
    const head = Buffer.alloc(2);
    await handle.read(head, 0, 2, 0);
    return head[0] === 0x1f && head[1] === 0x8b;
  } finally {
    await handle.close();
  }
}
