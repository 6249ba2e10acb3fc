/**
 * Publish → ingest-complete bookkeeping of the load benchmarks: one Map entry per upload,
 * keyed by upload id, so each ingest-complete event costs one lookup however many uploads
 * are in flight.
 */
import type { NatsConnection } from '@nats-io/transport-node';
import { subjects } from '../streams/subjects';

/** What one scenario (or one ramp step) published and what came back. */
export interface RunStats {
  name: string;
  /** uploads the schedule called for */
  scheduled: number;
  /** broker-acknowledged publishes: the uploads the pipeline owes an event */
  acked: number;
  publishFailed: number;
  /** the broker saw the Nats-Msg-Id already (the load never repeats one) */
  brokerDuplicates: number;
  /** how far behind its schedule the generator sent, at worst */
  generatorBehindMaxMs: number;
  announced: number;
  /** broker-acknowledged uploads with no ingest-complete event (yet) */
  owed: number;
  announcedTwice: number;
  /** scheduled send time → ingest-complete event, ms */
  latenciesMs: number[];
  firstDueMs: number;
  lastEventMs: number;
}

export const newStats = (name: string): RunStats => ({
  name,
  scheduled: 0,
  acked: 0,
  publishFailed: 0,
  brokerDuplicates: 0,
  generatorBehindMaxMs: 0,
  announced: 0,
  owed: 0,
  announcedTwice: 0,
  latenciesMs: [],
  firstDueMs: Number.POSITIVE_INFINITY,
  lastEventMs: 0,
});

interface Tracked {
  stats: RunStats;
  dueMs: number;
  events: number;
  acked: boolean;
}

export class UploadTracker {
  private readonly uploads = new Map<string, Tracked>();
  /** events of uploads this run never published (another run's stream content) */
  unknownEvents = 0;

  constructor(nc: NatsConnection) {
    nc.subscribe(subjects.ingested('>'), {
      callback: (_err, msg) => this.onEvent((msg.json() as { upload_id: string }).upload_id),
    });
  }

  track(uploadId: string, stats: RunStats, dueMs: number): void {
    this.uploads.set(uploadId, { stats, dueMs, events: 0, acked: false });
    stats.scheduled++;
    if (dueMs < stats.firstDueMs) stats.firstDueMs = dueMs;
  }

  /** The broker acknowledged this upload: from now on the pipeline owes its event. */
  acked(uploadId: string): void {
    const upload = this.uploads.get(uploadId);
    if (upload && !upload.acked) {
      upload.acked = true;
      upload.stats.acked++;
      if (!upload.events) upload.stats.owed++;
    }
  }

  private onEvent(uploadId: string): void {
    const now = performance.now();
    const upload = this.uploads.get(uploadId);
    if (!upload) {
      this.unknownEvents++;
      return;
    }
    const { stats } = upload;
    if (++upload.events > 1) {
      if (upload.events === 2) stats.announcedTwice++;
      return;
    }
    stats.announced++;
    if (upload.acked) stats.owed--;
    stats.latenciesMs.push(now - upload.dueMs);
    stats.lastEventMs = now;
  }
}
