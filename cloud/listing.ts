import { ListObjectsV2Command, type S3Client } from '@aws-sdk/client-s3';
import { SYSTEM_ID_PATTERN, UploadId } from '../schemas';
import { fitsStateKey } from './state-store';
import { SYSTEMS_PREFIX, uploadsPrefix } from './types';

/** One upload's objects as listed: Session-Buddy writes the manifest last. */
export interface ListedUpload {
  uploadId: string;
  /** the greatest key of the upload: the cursor once it is settled */
  lastKey: string;
  manifest?: { key: string; modifiedMs: number };
  newestModifiedMs: number;
}

export interface SystemListing {
  uploads: ListedUpload[];
  /** keys whose upload id does not match schemas/ids.ts, or has no file under it */
  badKeys: number;
}

/** Pages of up to 1000 keys per system and poll; the cursor carries on from there next time. */
const MAX_PAGES = 20;

/**
 * The system ids under `systems/` (Delimiter '/'); ids not matching the schema are counted.
 * A store that answers a non-empty bucket with no prefixes (s3rver does, beyond one level)
 * is walked one system at a time instead.
 */
export async function listSystems(s3: S3Client, bucket: string): Promise<SystemNames> {
  const listed = await listByDelimiter(s3, bucket);
  if (listed.systems.length + listed.badKeys > 0) return listed;
  return listBySkipping(s3, bucket);
}

interface SystemNames {
  systems: string[];
  badKeys: number;
}

async function listByDelimiter(s3: S3Client, bucket: string): Promise<SystemNames> {
  const names: SystemNames = { systems: [], badKeys: 0 };
  let token: string | undefined;
  do {
    const page = await s3.send(
      new ListObjectsV2Command({
        Bucket: bucket,
        Prefix: SYSTEMS_PREFIX,
        Delimiter: '/',
        ...(token && { ContinuationToken: token }),
      }),
    );
    for (const { Prefix: p } of page.CommonPrefixes ?? [])
      addSystem(names, p?.slice(SYSTEMS_PREFIX.length, -1) ?? '');
    token = page.IsTruncated ? page.NextContinuationToken : undefined;
  } while (token);
  return names;
}

/** A page of keys, then on past every key of its last system ('0' follows '/'). */
async function listBySkipping(s3: S3Client, bucket: string): Promise<SystemNames> {
  const names: SystemNames = { systems: [], badKeys: 0 };
  let after: string | undefined;
  for (let n = 0; n < MAX_SYSTEMS; n++) {
    const page = await s3.send(
      new ListObjectsV2Command({
        Bucket: bucket,
        Prefix: SYSTEMS_PREFIX,
        ...(after !== undefined && { StartAfter: after }),
      }),
    );
    const keys = (page.Contents ?? []).map((o) => o.Key ?? '');
    if (keys.length === 0) break;
    let last = '';
    for (const key of keys) {
      const slash = key.indexOf('/', SYSTEMS_PREFIX.length);
      if (slash < 0) names.badKeys += 1;
      else if (key.slice(SYSTEMS_PREFIX.length, slash) !== last) {
        last = key.slice(SYSTEMS_PREFIX.length, slash);
        if (!names.systems.includes(last)) addSystem(names, last);
      }
    }
    after = last ? `${SYSTEMS_PREFIX}${last}0` : keys.at(-1);
  }
  return names;
}

const MAX_SYSTEMS = 100_000;

function addSystem(names: SystemNames, id: string): void {
  if (SYSTEM_ID_PATTERN.test(id)) names.systems.push(id);
  else names.badKeys += 1;
}

/**
 * The uploads of one system after `startAfter`, in key order (Session-Buddy's ids begin
 * with a timestamp, so that is upload order). All keys of one upload share a prefix and
 * so are contiguous; an upload cut off by the page limit is left for the next poll.
 */
export async function listUploads(
  s3: S3Client,
  bucket: string,
  systemId: string,
  startAfter: string | undefined,
): Promise<SystemListing> {
  const prefix = uploadsPrefix(systemId);
  const listing: SystemListing = { uploads: [], badKeys: 0 };
  let token: string | undefined;
  let pages = 0;
  do {
    const page = await s3.send(
      new ListObjectsV2Command({
        Bucket: bucket,
        Prefix: prefix,
        ...(token ? { ContinuationToken: token } : startAfter && { StartAfter: startAfter }),
      }),
    );
    for (const obj of page.Contents ?? []) addObject(listing, prefix, obj);
    token = page.IsTruncated ? page.NextContinuationToken : undefined;
  } while (token && ++pages < MAX_PAGES);
  if (token && listing.uploads.length > 1) listing.uploads.pop();
  return listing;
}

function addObject(
  listing: SystemListing,
  prefix: string,
  obj: { Key?: string | undefined; LastModified?: Date | undefined },
): void {
  const key = obj.Key ?? '';
  const rest = key.slice(prefix.length);
  const slash = rest.indexOf('/');
  const uploadId = rest.slice(0, Math.max(slash, 0));
  if (slash < 0 || slash === rest.length - 1 || !validUploadId(uploadId)) {
    listing.badKeys += 1;
    return;
  }
  const modifiedMs = obj.LastModified?.getTime() ?? 0;
  let upload = listing.uploads.at(-1);
  if (upload?.uploadId !== uploadId) {
    upload = { uploadId, lastKey: key, newestModifiedMs: modifiedMs };
    listing.uploads.push(upload);
  }
  upload.lastKey = key;
  upload.newestModifiedMs = Math.max(upload.newestModifiedMs, modifiedMs);
  if (rest.slice(slash + 1) === 'manifest.json') upload.manifest = { key, modifiedMs };
}

const validUploadId = (id: string) => UploadId.safeParse(id).success && fitsStateKey(id);
