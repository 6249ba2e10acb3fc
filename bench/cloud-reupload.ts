/** bench:cloud (b): a whole-database re-upload of which 99 % is stored, with and without digest. */
import type { JetStreamClient } from '@nats-io/jetstream';
import type { NatsConnection } from '@nats-io/transport-node';
import type { DigestStore } from '../cloud/digest-store';
import { importSessionBuddy, type ImportTotals } from '../producers/import-session-buddy';
import { RecordDigest } from '../producers/record-digest';
import { subjects } from '../streams/subjects';
import { sleep } from './lib';

export interface ReuploadRun {
  records: number;
  /** digest load + read + hash + publish of the new 1 % + digest save */
  importS: number;
  /** from the import's start to the last ingest-complete event of its uploads */
  storedS: number;
  published: number;
  unchanged: number;
  stored: number;
  duplicate: number;
}

interface Ingested {
  atMs: number;
  stored: number;
  duplicate: number;
}

/** Ingest-complete events by upload id, as they arrive. */
export function watchIngested(nc: NatsConnection): Map<string, Ingested> {
  const seen = new Map<string, Ingested>();
  nc.subscribe(subjects.ingestedAll, {
    callback: (_err, msg) => {
      const e = msg.json<{ upload_id: string; counts: { stored: number; duplicate: number } }>();
      seen.set(e.upload_id, { atMs: performance.now(), ...e.counts });
    },
  });
  return seen;
}

export async function waitIngested(
  events: Map<string, Ingested>,
  totals: ImportTotals,
): Promise<Ingested[]> {
  const deadline = Date.now() + 900_000;
  for (;;) {
    const mine = [...events].filter(([id]) => id.startsWith(`${totals.upload_id_prefix}_`));
    if (mine.length >= totals.uploads) return mine.map(([, e]) => e);
    if (Date.now() > deadline)
      throw new Error(`${mine.length} of ${totals.uploads} uploads stored`);
    await sleep(20);
  }
}

export interface ReuploadContext {
  nc: NatsConnection;
  js: JetStreamClient;
  digests: DigestStore;
  events: Map<string, Ingested>;
}

/** One import as the cloud path runs it: the system's digest in, this import's digest out. */
export async function importAs(
  ctx: ReuploadContext,
  systemId: string,
  path: string,
): Promise<ReuploadRun> {
  const started = performance.now();
  const known = await ctx.digests.load(systemId, 'records');
  const seen = new RecordDigest();
  const totals = await importSessionBuddy(ctx.js, path, {
    systemId,
    maxPayloadBytes: ctx.nc.info?.max_payload ?? 1 << 20,
    known,
    seen,
  });
  await ctx.digests.save(systemId, 'records', seen);
  const imported = performance.now();
  const events = await waitIngested(ctx.events, totals);
  const last = Math.max(imported, ...events.map((e) => e.atMs));
  return {
    records: totals.records + totals.unchanged,
    importS: (imported - started) / 1000,
    storedS: (last - started) / 1000,
    published: totals.records,
    unchanged: totals.unchanged,
    stored: events.reduce((n, e) => n + e.stored, 0),
    duplicate: events.reduce((n, e) => n + e.duplicate, 0),
  };
}

/**
 * Run r: two systems hold the same base database; each receives the grown one (1 % new).
 * One keeps its digest, the other's is removed first, so the writers must find the 99 %.
 */
export async function reuploadRound(
  ctx: ReuploadContext,
  r: number,
  files: { base: string; grown: string },
): Promise<{ digest: ReuploadRun; noDigest: ReuploadRun }> {
  const withDigest = `bench-digest-${r}`;
  const without = `bench-nodigest-${r}`;
  await importAs(ctx, withDigest, files.base);
  await importAs(ctx, without, files.base);
  const digest = await importAs(ctx, withDigest, files.grown);
  await ctx.digests.remove(without, 'records');
  const noDigest = await importAs(ctx, without, files.grown);
  return { digest, noDigest };
}
