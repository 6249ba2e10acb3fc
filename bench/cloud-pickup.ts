/**
 * bench:cloud (a): Session-Buddy uploads put in an https bucket (s3rver), picked up by the
 * pipeline's `cloud` role and stored. Stage boundaries are seen from outside: the queued
 * reference (akosha.cloud.uploads.*), the published records (akosha.uploads.*) and the
 * ingest-complete event (akosha.ingested.*) of each system.
 */
import { GetObjectCommand } from '@aws-sdk/client-s3';
import type { NatsConnection, Subscription } from '@nats-io/transport-node';
import { join } from 'node:path';
import { gunzipSync } from 'node:zlib';
import { Pipeline } from '../app/pipeline';
import { uploadPrefix } from '../cloud/types';
import { loadConfig } from '../infra/config';
import { createLogger } from '../infra/logger';
import { putSessionBuddyUpload } from '../tests/helpers/session-buddy-bucket';
import { startTestS3, type TestS3 } from '../tests/helpers/s3';
import { makeTestCa } from '../tests/helpers/tls';
import { median, writeSessionBuddyDb } from './cloud-data';
import { subjects } from '../streams/subjects';
import { sleep } from './lib';

const BUCKET = 'sb-bench';
const RECORDS_PER_DB = 1000;

export interface PickupRun {
  uploads: number;
  totalS: number;
  perMinute: number;
  /** medians over uploads, ms */
  discoverMs: number;
  serviceMs: number;
  downloadMs: number;
  ingestMs: number;
}

/** Last time each system was seen on a subject pattern (the system id is the last token). */
function lastSeen(nc: NatsConnection, subject: string, subs: Subscription[]): Map<string, number> {
  const seen = new Map<string, number>();
  const sub = nc.subscribe(subject, {
    callback: (_err, msg) => {
      seen.set(msg.subject.split('.').at(-1)!, performance.now());
    },
  });
  subs.push(sub);
  return seen;
}

const uploadIdOf = (systemId: string) => `20261201_120000_${systemId}`;

/** Puts one gzip upload a system, manifest last, as Session-Buddy does; when each was done. */
async function putAll(s3: TestS3, ids: string[], files: string[]): Promise<Map<string, number>> {
  const putAt = new Map<string, number>();
  for (const [i, systemId] of ids.entries()) {
    await putSessionBuddyUpload(s3, {
      systemId,
      uploadId: uploadIdOf(systemId),
      files: { 'reflection.duckdb': files[i]! },
      gzip: true,
      sizeAndChecksum: false,
    });
    putAt.set(systemId, performance.now());
  }
  return putAt;
}

export async function pickupRound(
  nc: NatsConnection,
  natsUrl: string,
  dir: string,
  run: number,
  systems: number,
): Promise<PickupRun> {
  process.env.AWS_ACCESS_KEY_ID = 'S3RVER';
  process.env.AWS_SECRET_ACCESS_KEY = 'S3RVER';
  const ca = makeTestCa();
  const s3 = await startTestS3(BUCKET, ca);
  const config = loadConfig({
    AKOSHA_NATS_URL: natsUrl,
    AKOSHA_START_NATS: 'never',
    AKOSHA_DATA_DIR: join(dir, `pickup-${run}`),
    AKOSHA_HTTP_PORT: '0',
    AKOSHA_LOG_LEVEL: 'warn',
    AKOSHA_MAHAVISHNU_URL: '',
    AKOSHA_SB_BUCKET: BUCKET,
    AKOSHA_SB_S3_ENDPOINT: s3.endpoint,
    AKOSHA_SB_S3_CA: ca.cert,
    AKOSHA_SB_POLL_S: '1',
  });
  const pipeline = await Pipeline.start(
    config,
    ['ingest', 'writer', 'cloud'],
    createLogger('warn'),
  );
  const subs: Subscription[] = [];
  try {
    const ids = Array.from({ length: systems }, (_, i) => `bench-sb-${run}-${i}`);
    const files = await writeDatabases(dir, run, systems);
    const found = lastSeen(nc, subjects.cloudUploadsAll, subs);
    const published = lastSeen(nc, subjects.uploadsAll, subs);
    const stored = lastSeen(nc, subjects.ingestedAll, subs);
    const started = performance.now();
    const putAt = await putAll(s3, ids, files);
    const deadline = Date.now() + 900_000;
    while (ids.some((id) => !stored.has(id))) {
      if (Date.now() > deadline) throw new Error(`${stored.size} of ${systems} uploads stored`);
      await sleep(50);
    }
    const totalS = (Math.max(...ids.map((id) => stored.get(id)!)) - started) / 1000;
    const pubTimes = ids.map((id) => published.get(id)!).sort((a, b) => a - b);
    return {
      uploads: systems,
      totalS,
      perMinute: (systems / totalS) * 60,
      discoverMs: median(ids.map((id) => found.get(id)! - putAt.get(id)!)),
      // one importer, a queue in front of it: the gap between two publishes is one upload's
      // download, gunzip, DuckDB read and publish
      serviceMs: median(pubTimes.slice(1).map((t, i) => t - pubTimes[i]!)),
      downloadMs: await downloadAlone(s3, ids.slice(0, 5)),
      ingestMs: median(ids.map((id) => stored.get(id)! - published.get(id)!)),
    };
  } finally {
    subs.forEach((s) => s.unsubscribe());
    await pipeline.close();
    await s3.stop();
  }
}

/** One database of RECORDS_PER_DB records a system, none shared with another. */
async function writeDatabases(dir: string, run: number, systems: number): Promise<string[]> {
  const files = Array.from({ length: systems }, (_, i) => join(dir, `sb-${run}-${i}.duckdb`));
  for (const [i, f] of files.entries())
    await writeSessionBuddyDb(f, RECORDS_PER_DB, Date.now() - 3_600_000, i * RECORDS_PER_DB);
  return files;
}

/** GET and gunzip of uploaded databases on their own, median ms. */
async function downloadAlone(s3: TestS3, ids: string[]): Promise<number> {
  const times: number[] = [];
  for (const systemId of ids) {
    const t = performance.now();
    const key = `${uploadPrefix(systemId, uploadIdOf(systemId))}reflection.duckdb`;
    const res = await s3.client.send(new GetObjectCommand({ Bucket: BUCKET, Key: key }));
    gunzipSync(Buffer.from(await res.Body!.transformToByteArray()));
    times.push(performance.now() - t);
  }
  return median(times);
}
