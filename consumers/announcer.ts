import type { MsgHdrs, NatsConnection } from '@nats-io/transport-node';
import { type Logger, type Metrics, preciseNowMs } from '../infra';
import type { EmbedderInfo } from '../schemas';
import {
  type CompletedUpload,
  type ShardSink,
  type UnannouncedUpload,
  uploadKey,
  type UploadRef,
} from '../storage';
import { subjects } from '../streams';
import { reconcileAnnouncements } from './announce-reconcile';
import type { AnnounceFlags } from './announce-flags';
import type { HandOffPort } from './hand-off';
import { buildIngestedEvent, ingestedMsgId } from './ingest-events';
import { observeStage } from './stage-trace';

/** What the writer knows of the uploads it announces: when it committed, their traces. */
export interface AnnounceTrace {
  committedAtMs?: number | undefined;
  /** the events' trace headers by uploadKey(system_id, upload_id) (consumers/stage-trace.ts) */
  headers?: ReadonlyMap<string, MsgHdrs> | undefined;
}

/** The fast path stops retrying an event's publish after this; the outbox takes over. */
export const ANNOUNCE_GIVE_UP_MS = 5000;
/** The outbox leaves younger completions to the fast path, whose publish may be in flight. */
export const OUTBOX_GRACE_MS = 3 * ANNOUNCE_GIVE_UP_MS;

/** The part of the shard sink the announcer needs. */
export type AnnounceStore = Pick<ShardSink, 'shards' | 'markAnnounced' | 'unannouncedUploads'>;

export interface AnnouncerDeps {
  nc: NatsConnection;
  /** publishes the events (bounded, retried) */
  events: HandOffPort;
  store: AnnounceStore;
  metrics: Metrics;
  log: Logger;
  /** flags written later, together (the writer's fast path); none: each announce flags at once */
  flags?: AnnounceFlags | undefined;
}

/**
 * Publishes ingest-complete events, each exactly once. The writer announces right after
 * COMMIT and flags the upload once the broker acknowledged; what that misses (a failed
 * publish, a crash in between, a replayed shard) stays flagged false in its shard, the
 * outbox, and `sweep` announces it: it first reads AKOSHA_INGESTED for events that did
 * land, so a lost flag never makes a second event.
 */
export class Announcer {
  constructor(private readonly deps: AnnouncerDeps) {}

  /** Fast path: never throws; what fails is left to the sweep. Returns how many were announced. */
  async announce(
    shard: number,
    uploads: CompletedUpload[],
    embedder: EmbedderInfo,
    trace: AnnounceTrace = {},
  ): Promise<number> {
    if (uploads.length === 0) return 0;
    const settled = await Promise.allSettled(
      uploads.map((u) => this.publish(shard, u, embedder, trace)),
    );
    const done = uploads.filter((_, i) => settled[i]!.status === 'fulfilled');
    const failed = settled.find((s): s is PromiseRejectedResult => s.status === 'rejected');
    if (failed) {
      this.deps.metrics.announceFailures.inc(uploads.length - done.length);
      this.deps.log.warn(
        { err: failed.reason, shard },
        'ingest-complete publish failed; the sweep retries',
      );
    }
    if (this.deps.flags) this.deps.flags.add(shard, done);
    else
      await this.deps.store
        .markAnnounced(shard, done)
        .catch((err: unknown) => this.deps.log.warn({ err, shard }, 'announce flag failed'));
    return done.length;
  }

  /**
   * The outbox: announces every upload completed before `before` and not flagged yet,
   * after flagging those whose event is already in the stream (or too old to know).
   */
  async sweep(embedder: EmbedderInfo, before = new Date()): Promise<SweepResult> {
    const result: SweepResult = { published: 0, foundAnnounced: 0, historyGone: 0, pending: 0 };
    const byShard = new Map<number, UnannouncedUpload[]>();
    for (const shard of this.deps.store.shards) {
      const pending = await this.deps.store.unannouncedUploads(shard, before);
      if (pending.length) byShard.set(shard, pending);
    }
    const all = [...byShard.values()].flat();
    this.deps.metrics.announcePending.set(all.length);
    if (all.length === 0) return result;
    const known = await reconcileAnnouncements(this.deps.nc, all);
    for (const [shard, uploads] of byShard) {
      const isKnown = (u: UploadRef) => known.announced.has(uploadKey(u.systemId, u.uploadId));
      const isGone = (u: UploadRef) => known.historyGone.has(uploadKey(u.systemId, u.uploadId));
      await this.deps.store.markAnnounced(
        shard,
        uploads.filter((u) => isKnown(u) || isGone(u)),
      );
      const rest = uploads.filter((u) => !isKnown(u) && !isGone(u));
      result.published += await this.announce(shard, rest, embedder);
      result.foundAnnounced += uploads.filter(isKnown).length;
      result.historyGone += uploads.filter(isGone).length;
    }
    result.pending = all.length - result.published - result.foundAnnounced - result.historyGone;
    if (result.historyGone)
      this.deps.log.warn(
        { ...result },
        'uploads older than the ingested stream flagged unannounced',
      );
    return result;
  }

  private async publish(
    shard: number,
    u: CompletedUpload,
    embedder: EmbedderInfo,
    trace: AnnounceTrace,
  ): Promise<void> {
    const event = buildIngestedEvent(u, shard, embedder);
    await this.deps.events.publish(
      subjects.ingested(u.systemId),
      JSON.stringify(event),
      ingestedMsgId(u),
      trace.headers?.get(uploadKey(u.systemId, u.uploadId)),
    );
    this.deps.metrics.ingestedEvents.inc();
    observeStage(this.deps.metrics, 'announce', trace.committedAtMs, preciseNowMs());
  }
}

export interface SweepResult {
  /** events published now */
  published: number;
  /** uploads whose event was in the stream already: flagged only */
  foundAnnounced: number;
  /** uploads older than the ingested stream's history: flagged without an event */
  historyGone: number;
  /** still unannounced (their publish failed again) */
  pending: number;
}
