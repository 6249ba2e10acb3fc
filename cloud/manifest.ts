import { z } from 'zod';
import { AkoshaError, type ErrorCode, type Issue, issuesFrom } from '../infra';
import { SystemId, UploadId } from '../schemas';
import { manifestKey, uploadPrefix, type CloudUploadRef } from './types';

export const MAX_MANIFEST_BYTES = 1024 * 1024;
export const MAX_MANIFEST_FILES = 16;

/** The files Akosha imports, by their name in the manifest; any other file is ignored. */
export const KNOWN_FILES = {
  'reflection.duckdb': 'reflection',
  'knowledge_graph.duckdb': 'knowledgeGraph',
} as const;
export type KnownFileName = keyof typeof KNOWN_FILES;
export type KnownFileRole = (typeof KNOWN_FILES)[KnownFileName];

const FILE_NAME = /^[A-Za-z0-9_.-]{1,255}$/;
const SHA256_HEX = /^[0-9a-fA-F]{64}$/;

/**
 * One file entry. Today's Session-Buddy writes `size_bytes: 0` and `checksum: ""`: zero and
 * empty mean "not given", and only what is given is checked. Unknown fields are dropped.
 */
export const ManifestFile = z.object({
  name: z.string().regex(FILE_NAME, 'file name must match ^[A-Za-z0-9_.-]{1,255}$'),
  path: z.string().max(2048).default(''),
  size_bytes: z.number().int().min(0).max(Number.MAX_SAFE_INTEGER).default(0),
  compression: z.enum(['gzip', 'none']),
  checksum: z
    .string()
    .refine((s) => s === '' || SHA256_HEX.test(s), 'checksum must be empty or 64 hex digits')
    .default(''),
});
export type ManifestFile = z.infer<typeof ManifestFile>;

/** Session-Buddy's manifest.json; extra fields are allowed (and dropped), metadata is optional. */
export const SessionBuddyManifest = z.object({
  upload_id: UploadId,
  system_id: SystemId,
  timestamp: z.iso.datetime({ offset: true, local: true }),
  files: z.array(ManifestFile).min(1).max(MAX_MANIFEST_FILES),
  metadata: z
    .object({ uploader: z.string().max(200).optional(), version: z.string().max(100).optional() })
    .optional(),
});
export type SessionBuddyManifest = z.infer<typeof SessionBuddyManifest>;

const fail = (code: ErrorCode, key: string, reason: string, issues: Issue[] = []) =>
  new AkoshaError(code, `${key}: ${reason}`, { issues });

/** The ref's manifest key must be the one its system_id and upload_id name. */
export function checkRefKey(ref: CloudUploadRef): void {
  const expected = manifestKey(ref.system_id, ref.upload_id);
  if (ref.manifest_key !== expected) {
    throw fail('CLOUD_PATH_MISMATCH', ref.manifest_key, `expected the key ${expected}`);
  }
}

/**
 * The manifest's bytes, checked against the key it was read from: CLOUD_MANIFEST_INVALID for
 * what is not Session-Buddy's manifest, CLOUD_PATH_MISMATCH for ids or paths of another upload.
 */
export function parseManifest(bytes: Buffer, ref: CloudUploadRef): SessionBuddyManifest {
  const key = ref.manifest_key;
  if (bytes.length > MAX_MANIFEST_BYTES) {
    throw fail('CLOUD_MANIFEST_INVALID', key, `larger than ${MAX_MANIFEST_BYTES} bytes`);
  }
  let json: unknown;
  try {
    json = JSON.parse(bytes.toString('utf8'));
  } catch (err) {
    throw fail('CLOUD_MANIFEST_INVALID', key, `not JSON (${(err as Error).message})`);
  }
  const parsed = SessionBuddyManifest.safeParse(json);
  if (!parsed.success) {
    const issues = issuesFrom(parsed.error.issues);
    const first = issues[0];
    const reason = `not a Session-Buddy manifest (${first?.path}: ${first?.message})`;
    throw fail('CLOUD_MANIFEST_INVALID', key, reason, issues);
  }
  checkFileList(parsed.data, key);
  checkPaths(parsed.data, ref);
  return parsed.data;
}

function checkFileList(m: SessionBuddyManifest, key: string): void {
  const names = m.files.map((f) => f.name);
  const twice = names.find((n, i) => names.indexOf(n) !== i);
  if (twice !== undefined) throw fail('CLOUD_MANIFEST_INVALID', key, `lists ${twice} twice`);
  if (knownFiles(m).length === 0) {
    const known = Object.keys(KNOWN_FILES).join(' or ');
    throw fail('CLOUD_MANIFEST_INVALID', key, `names no file to import (${known})`);
  }
}

/**
 * A file's `path` is informative only (files are always read at `<upload prefix><name>`),
 * so it must name that key: exactly, or ending in `/<key>` (a bucket or URL in front).
 */
function checkPaths(m: SessionBuddyManifest, ref: CloudUploadRef): void {
  const key = ref.manifest_key;
  if (m.system_id !== ref.system_id) {
    throw fail('CLOUD_PATH_MISMATCH', key, `system_id ${m.system_id} in a key of ${ref.system_id}`);
  }
  if (m.upload_id !== ref.upload_id) {
    throw fail('CLOUD_PATH_MISMATCH', key, `upload_id ${m.upload_id} in a key of ${ref.upload_id}`);
  }
  for (const f of m.files) {
    const expected = fileKey(ref, f.name);
    if (f.path === '' || f.path === expected || f.path.endsWith(`/${expected}`)) continue;
    throw fail('CLOUD_PATH_MISMATCH', key, `${f.name} has the path ${f.path}, not ${expected}`);
  }
}

/** Where a file of this upload is read from, whatever its manifest entry's `path` says. */
export const fileKey = (ref: CloudUploadRef, name: string) =>
  `${uploadPrefix(ref.system_id, ref.upload_id)}${name}`;

const isKnown = (name: string): name is KnownFileName => Object.hasOwn(KNOWN_FILES, name);

/** The entries Akosha imports, with their role. */
export function knownFiles(m: SessionBuddyManifest): (ManifestFile & { role: KnownFileRole })[] {
  return m.files.flatMap((f) => (isKnown(f.name) ? [{ ...f, role: KNOWN_FILES[f.name] }] : []));
}

/** Names of the entries that are not imported (logged, not an error). */
export const ignoredFiles = (m: SessionBuddyManifest): string[] =>
  m.files.filter((f) => !isKnown(f.name)).map((f) => f.name);
