import type { JetStreamClient } from '@nats-io/jetstream';
import { publishUpload } from '../producers/publish-upload';
import { shardOf } from '../schemas/ids';
import { subjects } from '../streams/subjects';
import { uploadKey, type AckLedger } from './ledger';
import type { UploadMessage } from '../schemas/upload';
import { invalidPayloads, type PlannedUpload } from './workload';

export interface ProducerOptions {
  /** uploads in flight at once */
  concurrency: number;
  /** uploads started per second; 0: as fast as acks come back */
  ratePerSec: number;
  /** how long one upload keeps being retried while the broker does not answer */
  giveUpAfterMs: number;
  /** the stream's duplicate window: retries "beyond" wait longer than this */
  duplicateWindowMs: number;
}

const sleep = (ms: number) => new Promise((r) => setTimeout(r, ms));

/**
 * Publishes a planned workload like a careful producer: each upload is retried with the
 * same message ids until the broker acks it (or giveUpAfterMs passes), and every ack is
 * written to the ledger. Retries beyond the duplicate window run after the window passed.
 */
export class FaultProducer {
  private readonly later: PlannedUpload[] = [];

  constructor(
    private readonly js: JetStreamClient,
    private readonly ledger: AckLedger,
    private readonly options: ProducerOptions,
  ) {}

  /** Publishes uploads 0..count-1 (and their retries inside the window); resolves when all settled. */
  async run(
    count: number,
    planOf: (u: number) => PlannedUpload,
    shouldStop: () => boolean = () => false,
  ): Promise<void> {
    const started = Date.now();
    let next = 0;
    const worker = async () => {
      while (next < count && !shouldStop()) {
        const u = next++;
        const { ratePerSec } = this.options;
        // behind schedule: no wait (Node 23+ warns about a negative timer delay)
        if (ratePerSec > 0)
          await sleep(Math.max(0, started + (u * 1000) / ratePerSec - Date.now()));
        await this.publish(planOf(u));
      }
    };
    await Promise.all(Array.from({ length: this.options.concurrency }, worker));
  }

  /** The retries beyond the duplicate window, once it has passed since the last first send. */
  async retryBeyondWindow(): Promise<void> {
    await sleep(this.options.duplicateWindowMs + 1000);
    const plans = this.later.splice(0);
    for (let i = 0; i < plans.length; i += 16)
      await Promise.all(plans.slice(i, i + 16).map((p) => this.send(p)));
  }

  private async publish(plan: PlannedUpload): Promise<void> {
    if (!(await this.send(plan))) return;
    if (plan.retryInside) await this.send(plan);
    if (plan.retryBeyond) this.later.push(plan);
  }

  /** One upload until acked; true when the broker acked it. */
  private async send(plan: PlannedUpload): Promise<boolean> {
    this.ledger.attempt(plan.message);
    const deadline = Date.now() + this.options.giveUpAfterMs;
    for (let attempt = 0; Date.now() < deadline; attempt++) {
      try {
        await publishUpload(this.js, plan.message, { maxPayloadBytes: plan.maxPayloadBytes });
        this.ledger.ack(plan.message);
        return true;
      } catch {
        this.ledger.failedPublishes++;
        await sleep(Math.min(2000, 100 * 2 ** attempt));
      }
    }
    return false;
  }

  /** A valid upload whose one record kills a writer armed at `poison`; recorded as meant for the DLQ. */
  async publishPoison(upload: UploadMessage): Promise<void> {
    this.ledger.poisonUploads.add(uploadKey(upload.system_id, upload.upload_id));
    await this.send({
      message: upload,
      maxPayloadBytes: 1 << 20,
      retryInside: false,
      retryBeyond: false,
    });
  }

  /** The deliberately invalid messages, each recorded by the stream sequence the broker gave it. */
  async publishInvalid(tag: string): Promise<void> {
    const systemId = `${tag}-sys-0`;
    for (const { id, body } of invalidPayloads(tag)) {
      const ack = await this.js.publish(subjects.upload(shardOf(systemId), systemId), body, {
        msgID: id,
      });
      this.ledger.invalidSeqs.add(ack.seq);
    }
  }
}
