import { jetstreamManager, type JetStreamManager } from '@nats-io/jetstream';
import type { NatsConnection, Subscription } from '@nats-io/transport-node';
import { AkoshaError, type Logger } from '../infra';
import type { DeadLetterStage } from '../schemas';
import { STREAM } from '../streams';
import { contextOf, type DeadLetterPublisher } from './dead-letters';
import type { PulledMsg } from './pulled-message';
import { storedAsPulled } from './stranded';

/** The stage whose consumer reads each watched stream. */
const STAGE_OF_STREAM: Record<string, DeadLetterStage> = {
  [STREAM.uploads]: 'embed',
  [STREAM.embedded]: 'write',
};

const ADVISORY = '$JS.EVENT.ADVISORY.CONSUMER';

/** io.nats.jetstream.advisory.v1.max_deliver */
interface MaxDeliveriesAdvisory {
  stream: string;
  consumer: string;
  stream_seq: number;
  deliveries: number;
}

export interface AdvisoryWatcherDeps {
  nc: NatsConnection;
  deadLetters: DeadLetterPublisher;
  log: Logger;
  /** streams to watch; default AKOSHA_UPLOADS and AKOSHA_EMBEDDED */
  streams?: string[];
}

/**
 * Listens (core NATS) for JetStream's MAX_DELIVERIES advisories on the pipeline's
 * work streams: a message that reached max_deliver without being settled (its
 * process died on the last delivery, or the last delivery timed out) would
 * otherwise stay pending silently. It is fetched by stream sequence and
 * dead-lettered RETRIES_EXHAUSTED; the letter's message id is the one the stage
 * itself would use, so a message the stage already dead-lettered gets no second
 * letter. Also counts MSG_TERMINATED advisories. On 2.9 the MAX_DELIVERIES
 * advisory fires only while a pull request is pending after the last delivery;
 * the batch loops keep pull requests open, so it does.
 */
export class AdvisoryWatcher {
  private subs: Subscription[] = [];
  private jsm?: JetStreamManager;
  private inFlight = new Set<Promise<void>>();
  readonly counts = { maxDeliveries: 0, terminated: 0, deadLettered: 0, failed: 0 };

  constructor(private readonly deps: AdvisoryWatcherDeps) {}

  async start(): Promise<void> {
    if (this.subs.length) return;
    this.jsm = await jetstreamManager(this.deps.nc);
    for (const stream of this.deps.streams ?? [STREAM.uploads, STREAM.embedded]) {
      this.subs.push(
        this.deps.nc.subscribe(`${ADVISORY}.MAX_DELIVERIES.${stream}.*`, {
          // one process of many handles each advisory (the letter's msgID dedupes anyway)
          queue: 'akosha-advisories',
          callback: (_err, msg) => this.track(this.onMaxDeliveries(msg.data)),
        }),
        this.deps.nc.subscribe(`${ADVISORY}.MSG_TERMINATED.${stream}.*`, {
          callback: () => void this.counts.terminated++,
        }),
      );
    }
  }

  /** Unsubscribes and waits for the letters being published. Idempotent. */
  async stop(): Promise<void> {
    for (const sub of this.subs) sub.unsubscribe();
    this.subs = [];
    await Promise.all(this.inFlight);
  }

  private track(work: Promise<void>): void {
    this.inFlight.add(work);
    void work.finally(() => this.inFlight.delete(work));
  }

  private async onMaxDeliveries(data: Uint8Array): Promise<void> {
    this.counts.maxDeliveries++;
    let advisory: MaxDeliveriesAdvisory | undefined;
    try {
      advisory = JSON.parse(Buffer.from(data).toString('utf8')) as MaxDeliveriesAdvisory;
      const stage = STAGE_OF_STREAM[advisory.stream] ?? 'write';
      const msg = await this.fetch(advisory);
      const err = new AkoshaError(
        'RETRIES_EXHAUSTED',
        `not settled after ${advisory.deliveries} deliveries to consumer ${advisory.consumer}`,
      );
      await this.deps.deadLetters.publish(stage, msg, err, contextOf(msg.data));
      this.counts.deadLettered++;
      this.deps.log.warn(
        { stream: advisory.stream, seq: advisory.stream_seq, consumer: advisory.consumer },
        'max deliveries reached: dead-lettered',
      );
    } catch (err) {
      this.counts.failed++;
      this.deps.log.error({ err, advisory }, 'could not dead-letter a max-deliveries message');
    }
  }

  /** The message as a stage would have seen it on its last delivery; settling it is a no-op. */
  private async fetch(a: MaxDeliveriesAdvisory): Promise<PulledMsg> {
    const stored = await this.jsm!.streams.getMessage(a.stream, { seq: a.stream_seq });
    return storedAsPulled(stored, { ...a, seq: a.stream_seq });
  }
}
