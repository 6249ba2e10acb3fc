/**
 * The load of bench:ingest: uploads built before a phase starts (one ~2 KB record each, from
 * a fixed set of systems), published either as fast as a window of unacknowledged publishes
 * allows, or at a steady rate, each stamped with its send time (Akosha-T-Publish) so that
 * the pipeline traces it stage by stage.
 */
import type { JetStreamClient } from '@nats-io/jetstream';
import { headers } from '@nats-io/transport-node';
import { preciseNowMs } from '../infra/clock';
import { shardOf } from '../schemas/ids';
import { TRACE } from '../consumers/stage-trace';
import { subjects } from '../streams/subjects';
import { sleep, textOfBytes } from './lib';

export interface PreparedUpload {
  subject: string;
  body: Uint8Array;
  msgID: string;
}

const SYSTEMS = 50;
const RECORD_BYTES = 2000;
const encoder = new TextEncoder();

export const uploadIdOf = (prefix: string, i: number) => `${prefix}-${i}`;

/** `count` uploads with ids `<prefix>-<i>`, serialised now so that publishing costs little. */
export function prepareUploads(prefix: string, count: number, subjectOf = uploadSubject) {
  const now = new Date().toISOString();
  return Array.from({ length: count }, (_, i): PreparedUpload => {
    const systemId = `bench-host-${i % SYSTEMS}`;
    const uploadId = uploadIdOf(prefix, i);
    const body = JSON.stringify({
      schema_version: 1,
      upload_id: uploadId,
      system_id: systemId,
      created_at: now,
      records: [
        {
          id: `m-${uploadId}`,
          kind: 'conversation',
          // unique per upload: a text seen before would be a duplicate, not a write
          content: `${uploadId} ${textOfBytes(i, RECORD_BYTES - uploadId.length - 1)}`,
          timestamp: now,
          project: 'bench',
        },
      ],
    });
    return { subject: subjectOf(systemId), body: encoder.encode(body), msgID: uploadId };
  });
}

const uploadSubject = (systemId: string) => subjects.upload(shardOf(systemId), systemId);

/** Publishes with at most `window` unacknowledged publishes in flight. */
export async function publishWindowed(
  js: JetStreamClient,
  uploads: PreparedUpload[],
  window = 1000,
): Promise<void> {
  let next = 0;
  const worker = async () => {
    while (next < uploads.length) {
      const u = uploads[next++]!;
      await js.publish(u.subject, u.body, { msgID: u.msgID });
    }
  };
  await Promise.all(Array.from({ length: window }, worker));
}

export interface PacedResult {
  /** when each upload was sent (ms since the epoch, fractional) */
  sentAtMs: Float64Array;
  /** how far behind its schedule the generator sent, at worst */
  behindMaxMs: number;
  failed: number;
}

/**
 * Sends `uploads` at `perMinute`, each at its due time or as soon after as the event loop
 * allows (every upload due by a wake-up goes out in it), without waiting for acks.
 */
export async function publishPaced(
  js: JetStreamClient,
  uploads: PreparedUpload[],
  perMinute: number,
): Promise<PacedResult> {
  const intervalMs = 60_000 / perMinute;
  const sentAtMs = new Float64Array(uploads.length);
  const acks: Promise<unknown>[] = [];
  let failed = 0;
  let behindMaxMs = 0;
  const start = preciseNowMs();
  for (let i = 0; i < uploads.length; i++) {
    const due = start + i * intervalMs;
    const wait = due - preciseNowMs();
    if (wait >= 1) await sleep(wait);
    const u = uploads[i]!;
    const now = preciseNowMs();
    behindMaxMs = Math.max(behindMaxMs, now - due);
    const h = headers();
    h.set(TRACE.publish, now.toFixed(3));
    sentAtMs[i] = now;
    acks.push(js.publish(u.subject, u.body, { msgID: u.msgID, headers: h }).catch(() => failed++));
  }
  await Promise.all(acks);
  return { sentAtMs, behindMaxMs, failed };
}
