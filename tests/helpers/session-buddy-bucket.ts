import { createHash } from 'node:crypto';
import { createReadStream, createWriteStream, mkdtempSync, rmSync, statSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { pipeline } from 'node:stream/promises';
import { createGzip } from 'node:zlib';
import { PutObjectCommand } from '@aws-sdk/client-s3';
import { manifestKey, uploadPrefix, type CloudUploadRef } from '../../cloud/types';
import type { TestS3 } from './s3';

export type SessionBuddyFileName = 'reflection.duckdb' | 'knowledge_graph.duckdb';

/** manifest.json as Session-Buddy writes it (session_buddy/storage/cloud_sync.py). */
export interface SessionBuddyManifestJson {
  upload_id: string;
  system_id: string;
  timestamp: string;
  files: {
    name: string;
    path: string;
    size_bytes: number;
    compression: 'gzip' | 'none';
    checksum: string;
  }[];
  metadata: { uploader: string; version: string };
}

export interface SessionBuddyUpload {
  systemId: string;
  uploadId: string;
  /** local files to upload under their Session-Buddy name */
  files: Partial<Record<SessionBuddyFileName, string>>;
  gzip: boolean;
  /** false: today's `size_bytes: 0, checksum: ""`; true: the stored bytes' size and sha256 */
  sizeAndChecksum: boolean;
  /** merged over the manifest's top level, or a function that returns the manifest to upload */
  manifestOverrides?:
    Partial<SessionBuddyManifestJson> | ((m: SessionBuddyManifestJson) => unknown);
}

export interface PutUploadResult {
  ref: CloudUploadRef;
  manifest: unknown;
  /** object keys of the files, by name */
  keys: Partial<Record<SessionBuddyFileName, string>>;
}

/** Lays out one upload as Session-Buddy does: the files first, the manifest last. */
export async function putSessionBuddyUpload(
  s3: TestS3,
  upload: SessionBuddyUpload,
): Promise<PutUploadResult> {
  const prefix = uploadPrefix(upload.systemId, upload.uploadId);
  const work = mkdtempSync(join(tmpdir(), 'akosha-sb-upload-'));
  try {
    const entries: SessionBuddyManifestJson['files'] = [];
    const keys: PutUploadResult['keys'] = {};
    for (const [name, local] of Object.entries(upload.files) as [SessionBuddyFileName, string][]) {
      const stored = upload.gzip ? await gzipTo(local, join(work, name)) : local;
      const key = `${prefix}${name}`;
      await putFile(s3, key, stored);
      keys[name] = key;
      entries.push(await fileEntry(name, key, stored, upload));
    }
    const manifest = withOverrides(baseManifest(upload, entries), upload.manifestOverrides);
    const key = manifestKey(upload.systemId, upload.uploadId);
    await putBody(s3, key, JSON.stringify(manifest, null, 2));
    return { ref: refOf(s3, upload, key), manifest, keys };
  } finally {
    rmSync(work, { recursive: true, force: true });
  }
}

/** Puts raw bytes at a key (a manifest that is not JSON, a file that is not gzip). */
export async function putBody(s3: TestS3, key: string, body: string | Buffer): Promise<void> {
  await s3.client.send(new PutObjectCommand({ Bucket: s3.bucket, Key: key, Body: body }));
}

function baseManifest(
  u: SessionBuddyUpload,
  files: SessionBuddyManifestJson['files'],
): SessionBuddyManifestJson {
  return {
    upload_id: u.uploadId,
    system_id: u.systemId,
    // Python's datetime.now(UTC).isoformat(): microseconds and +00:00
    timestamp: new Date().toISOString().replace('Z', '000+00:00'),
    files,
    metadata: { uploader: 'session-buddy', version: '1.0.0' },
  };
}

function withOverrides(
  m: SessionBuddyManifestJson,
  overrides: SessionBuddyUpload['manifestOverrides'],
): unknown {
  if (typeof overrides === 'function') return overrides(m);
  return { ...m, ...overrides };
}

async function fileEntry(name: string, key: string, stored: string, u: SessionBuddyUpload) {
  return {
    name,
    path: key,
    size_bytes: u.sizeAndChecksum ? statSync(stored).size : 0,
    compression: u.gzip ? ('gzip' as const) : ('none' as const),
    checksum: u.sizeAndChecksum ? await sha256File(stored) : '',
  };
}

async function sha256File(path: string): Promise<string> {
  const hash = createHash('sha256');
  for await (const chunk of createReadStream(path)) hash.update(chunk as Buffer);
  return hash.digest('hex');
}

async function gzipTo(from: string, to: string): Promise<string> {
  await pipeline(createReadStream(from), createGzip(), createWriteStream(to));
  return to;
}

async function putFile(s3: TestS3, key: string, path: string): Promise<void> {
  await s3.client.send(
    new PutObjectCommand({
      Bucket: s3.bucket,
      Key: key,
      Body: createReadStream(path),
      ContentLength: statSync(path).size,
    }),
  );
}

function refOf(s3: TestS3, u: SessionBuddyUpload, key: string): CloudUploadRef {
  return {
    schema_version: 1,
    bucket: s3.bucket,
    system_id: u.systemId,
    upload_id: u.uploadId,
    manifest_key: key,
    found_at: new Date().toISOString(),
    via: 'poll',
  };
}
