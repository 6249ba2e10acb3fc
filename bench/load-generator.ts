/**
 * Paced upload publishing for the load benchmarks: upload k is due at start + k × interval and
 * comes from system k mod systems, so every system sends at its own even rate. Publishes are
 * asynchronous with a bounded number awaiting their broker ack; when the broker is slower
 * than the schedule, the generator falls behind and says by how much.
 */
import type { JetStreamClient } from '@nats-io/jetstream';
import { shardOf } from '../schemas/ids';
import { subjects } from '../streams/subjects';
import { sleep, textOfBytes } from './lib';
import type { RunStats, UploadTracker } from './load-tracker';

export interface LoadShape {
  systems: number;
  perMinute: number;
  seconds: number;
  recordsPerUpload: number;
  /**
   * 0: every record is new. N: each system cycles through N record ids, as Session-Buddy
   * re-sends its whole database, so stored data stops growing once they have all been sent.
   */
  recordPool: number;
}

const MAX_IN_FLIGHT = 2000;
const TEXTS = Array.from({ length: 64 }, (_, i) => textOfBytes(i, 2000));
export const systemId = (k: number, systems: number) => `load-host-${k % systems}`;

function uploadBody(uploadId: string, k: number, shape: LoadShape): string {
  const system = systemId(k, shape.systems);
  const round = Math.floor(k / shape.systems);
  const now = new Date().toISOString();
  const records = Array.from({ length: shape.recordsPerUpload }, (_, j) => {
    const n = round * shape.recordsPerUpload + j;
    const id = shape.recordPool ? `r-${n % shape.recordPool}` : `${uploadId}-r${j}`;
    const content = TEXTS[(k + j) % TEXTS.length]!;
    return { id, kind: 'conversation', content, timestamp: now, project: 'load' };
  });
  const upload = { schema_version: 1, upload_id: uploadId, system_id: system, created_at: now };
  return JSON.stringify({ ...upload, records });
}

/** Offers `shape` for its duration; resolves once every publish has its broker answer. */
export async function offerLoad(
  js: JetStreamClient,
  tracker: UploadTracker,
  stats: RunStats,
  tag: string,
  shape: LoadShape,
): Promise<void> {
  const intervalMs = 60_000 / shape.perMinute;
  const total = Math.floor((shape.seconds * shape.perMinute) / 60);
  const pending = new Set<Promise<void>>();
  const t0 = performance.now();
  const send = (k: number) => {
    const dueMs = t0 + k * intervalMs;
    const uploadId = `${tag}-${k}`;
    const system = systemId(k, shape.systems);
    tracker.track(uploadId, stats, dueMs);
    stats.generatorBehindMaxMs = Math.max(stats.generatorBehindMaxMs, performance.now() - dueMs);
    const subject = subjects.upload(shardOf(system), system);
    const p: Promise<void> = js
      .publish(subject, uploadBody(uploadId, k, shape), { msgID: uploadId })
      .then((ack) => {
        if (ack.duplicate) stats.brokerDuplicates++;
        tracker.acked(uploadId);
      })
      .catch(() => void stats.publishFailed++)
      .finally(() => pending.delete(p));
    pending.add(p);
  };
  for (let k = 0; k < total;) {
    const now = performance.now();
    while (k < total && t0 + k * intervalMs <= now && pending.size < MAX_IN_FLIGHT) send(k++);
    if (pending.size >= MAX_IN_FLIGHT) await Promise.race(pending);
    else if (k < total) await sleep(Math.min(10, Math.max(1, t0 + k * intervalMs - now)));
  }
  await Promise.all(pending);
  await sleep(Math.max(0, t0 + shape.seconds * 1000 - performance.now())); // the window lasts its length
}
