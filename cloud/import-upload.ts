import { createHash } from 'node:crypto';
import type { S3Client } from '@aws-sdk/client-s3';
import type { JetStreamClient } from '@nats-io/jetstream';
import { AkoshaError, type Metrics } from '../infra';
import {
  digestFingerprint,
  type DigestSet,
  importSessionBuddy,
  importSessionBuddyGraph,
  openSessionBuddyFile,
  RecordDigest,
} from '../producers';
import type { DigestStore } from './digest-store';
import { fetchUpload } from './fetch-upload';
import type { ImportCounts } from './importer';
import type { CloudUploadRef } from './types';

export interface ImportUploadDeps {
  s3: S3Client;
  js: JetStreamClient;
  digests: DigestStore;
  metrics: Metrics;
  maxFileBytes: number;
  maxPayloadBytes: number;
}

/** Room for the graph's `_g<n>_<n>` batch suffix (the records' `_<n>` needs less). */
const MAX_PREFIX_CHARS = 100 - 14;
const HASH_CHARS = 12;
const KNOWN_CHARS = 8;

/**
 * The upload and batch id prefix of an import: the upload id (or, when too long, its head
 * and a hash of the whole, so that two long ids never share a prefix) and the fingerprint of
 * the known digest. The same upload imported against another known set (an import of the
 * same system in between, a deleted digest) makes other batches, which must not take ids
 * the broker may still hold for the first ones.
 */
export function importPrefix(uploadId: string, known: DigestSet): string {
  const knownPart = `_${digestFingerprint(known).slice(0, KNOWN_CHARS)}`;
  const room = MAX_PREFIX_CHARS - knownPart.length;
  if (uploadId.length <= room) return uploadId + knownPart;
  const hash = createHash('sha256').update(uploadId).digest('hex').slice(0, HASH_CHARS);
  return `${uploadId.slice(0, room - HASH_CHARS - 1)}-${hash}${knownPart}`;
}

/**
 * Downloads one upload and publishes what the previous import of its system did not:
 * records to AKOSHA_UPLOADS, entities and relations to AKOSHA_GRAPH. The new digests are
 * saved only after every publish was acknowledged; an import cut short is done again in
 * full with the same ids, which the broker and the writers drop as duplicates.
 */
export async function importUpload(
  deps: ImportUploadDeps,
  ref: CloudUploadRef,
): Promise<ImportCounts> {
  const fetched = await fetchUpload(deps.s3, ref, {
    maxFileBytes: deps.maxFileBytes,
    onBytes: (n) => deps.metrics.cloudBytesDownloaded.inc(n),
  });
  try {
    const { reflection, knowledgeGraph } = fetched.files;
    const systemId = ref.system_id;
    const known = {
      records: await deps.digests.load(systemId, 'records'),
      graph: await deps.digests.load(systemId, 'graph'),
    };
    const seen = { records: new RecordDigest(), graph: new RecordDigest() };
    const common = { systemId, maxPayloadBytes: deps.maxPayloadBytes };
    let records = { records: 0, unchanged: 0 };
    if (reflection !== undefined) {
      await checkSessionBuddyFile(reflection, ref);
      const opts = {
        ...common,
        uploadIdPrefix: importPrefix(ref.upload_id, known.records),
        known: known.records,
        seen: seen.records,
      };
      records = await importSessionBuddy(deps.js, reflection, opts);
    }
    const graph =
      reflection === undefined && knowledgeGraph === undefined
        ? { entities: 0, relations: 0, unchanged: 0 }
        : await importSessionBuddyGraph(
            deps.js,
            { ...(knowledgeGraph && { knowledgeGraph }), ...(reflection && { reflection }) },
            {
              ...common,
              batchIdPrefix: importPrefix(ref.upload_id, known.graph),
              known: known.graph,
              seen: seen.graph,
            },
          );
    // only now: every publish above was acknowledged
    await deps.digests.save(systemId, 'records', seen.records);
    await deps.digests.save(systemId, 'graph', seen.graph);
    return {
      records: records.records,
      skipped: records.unchanged + graph.unchanged,
      entities: graph.entities,
      relations: graph.relations,
    };
  } finally {
    await fetched.cleanup();
  }
}

/** A reflection.duckdb without Session-Buddy's tables is bad input, not a passing fault. */
async function checkSessionBuddyFile(path: string, ref: CloudUploadRef): Promise<void> {
  try {
    (await openSessionBuddyFile(path)).close();
  } catch (err) {
    const key = ref.manifest_key.replace(/manifest\.json$/, 'reflection.duckdb');
    throw new AkoshaError('CLOUD_DB_UNREADABLE', `${key}: ${(err as Error).message}`);
  }
}
