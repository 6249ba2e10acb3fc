import { jetstreamManager, type JetStreamManager } from '@nats-io/jetstream';
import type { NatsConnection } from '@nats-io/transport-node';
import { openStreamReader, STREAM, subjects } from '../streams';
import { type UnannouncedUpload, uploadKey } from '../storage';

/** Events this close to the ingested stream's max age may be gone before the scan reaches them. */
const HISTORY_MARGIN_MS = 3_600_000;
const LOOKUPS_AT_ONCE = 32;

export interface Reconciled {
  /** an event for it is in AKOSHA_INGESTED: flag it, publish nothing */
  announced: Set<string>;
  /** older than the ingested stream's history: whether it was announced can't be known */
  historyGone: Set<string>;
}

/**
 * Tells which unannounced uploads were announced after all (a publish acknowledged just
 * before a crash, a mark lost with a deleted shard): AKOSHA_INGESTED is read from the
 * time the oldest of them was uploaded. Keys are uploadKey(system_id, upload_id).
 */
export async function reconcileAnnouncements(
  nc: NatsConnection,
  uploads: UnannouncedUpload[],
): Promise<Reconciled> {
  const jsm = await jetstreamManager(nc);
  const info = await jsm.streams.info(STREAM.ingested);
  const historyStartMs = Date.now() - info.config.max_age / 1e6 + HISTORY_MARGIN_MS;
  const uploadedAt = await uploadTimes(jsm, uploads);
  const historyGone = new Set<string>();
  let scanFromMs = Infinity;
  for (const u of uploads) {
    const key = uploadKey(u.systemId, u.uploadId);
    const at = uploadedAt.get(u.uploadSeq);
    if (at === undefined || at < historyStartMs) historyGone.add(key);
    else scanFromMs = Math.min(scanFromMs, at);
  }
  const announced =
    scanFromMs === Infinity ? new Set<string>() : await announcedSince(nc, scanFromMs - 1000);
  return { announced, historyGone };
}

/** When each upload message was stored; absent when the uploads stream no longer has it. */
async function uploadTimes(
  jsm: JetStreamManager,
  uploads: UnannouncedUpload[],
): Promise<Map<number, number>> {
  const seqs = [...new Set(uploads.map((u) => u.uploadSeq))];
  const times = new Map<number, number>();
  for (let i = 0; i < seqs.length; i += LOOKUPS_AT_ONCE) {
    await Promise.all(
      seqs.slice(i, i + LOOKUPS_AT_ONCE).map(async (seq) => {
        const stored = await jsm.streams.getMessage(STREAM.uploads, { seq }).catch(() => null);
        if (stored) times.set(seq, stored.time.getTime());
      }),
    );
  }
  return times;
}

async function announcedSince(nc: NatsConnection, sinceMs: number): Promise<Set<string>> {
  const reader = await openStreamReader(nc, STREAM.ingested, {
    filter: subjects.ingestedAll,
    since: new Date(sinceMs),
  });
  const announced = new Set<string>();
  for await (const batch of reader.batches(512)) {
    for (const m of batch) {
      const event = JSON.parse(Buffer.from(m.data).toString('utf8')) as Record<string, unknown>;
      announced.add(uploadKey(String(event.system_id), String(event.upload_id)));
    }
  }
  return announced;
}
