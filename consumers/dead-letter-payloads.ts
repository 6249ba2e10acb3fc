import { createHash } from 'node:crypto';
import type { JetStreamClient } from '@nats-io/jetstream';
import { Objm, StorageType, type ObjectStore } from '@nats-io/obj';
import type { PayloadRef } from '../schemas';
import { STREAM } from '../streams';

/** JetStream Object Store bucket for dead-letter payloads too large to inline. */
export const DLQ_PAYLOAD_BUCKET = 'AKOSHA_DLQ_PAYLOADS';

const DEFAULT_TTL_NS = 90 * 86_400_000 * 1_000_000;

/** The object of a letter: named by its origin, like the letter's Nats-Msg-Id. */
export function payloadObjectName(stream: string, seq: number, recordId?: string): string {
  return `${stream}/${seq}/${recordId ?? '*'}`;
}

export const sha256Hex = (bytes: Uint8Array) => createHash('sha256').update(bytes).digest('hex');

/**
 * Payloads of dead letters above the inline limit. The bucket is created on first
 * write, with the DLQ stream's max_age and replicas, so an object lives as long as
 * the letter that points to it. Writing the same name again (a redelivered
 * failure) replaces the object with the same bytes.
 */
export class DeadLetterPayloads {
  private store: Promise<ObjectStore> | undefined;

  constructor(
    private readonly js: JetStreamClient,
    private readonly bucketName = DLQ_PAYLOAD_BUCKET,
  ) {}

  async put(name: string, bytes: Uint8Array): Promise<PayloadRef> {
    const store = await this.bucket();
    await store.putBlob({ name }, bytes);
    return { bucket: this.bucketName, name, sha256: sha256Hex(bytes), bytes: bytes.byteLength };
  }

  private bucket(): Promise<ObjectStore> {
    // a failed creation is not remembered: the next letter tries again
    this.store ??= this.createBucket().catch((err: unknown) => {
      this.store = undefined;
      throw err;
    });
    return this.store;
  }

  private async createBucket(): Promise<ObjectStore> {
    const jsm = await this.js.jetstreamManager();
    const dlq = await jsm.streams.info(STREAM.deadLetters).catch(() => undefined);
    return new Objm(this.js).create(this.bucketName, {
      storage: StorageType.File,
      ttl: dlq?.config.max_age || DEFAULT_TTL_NS,
      replicas: dlq?.config.num_replicas ?? 1,
      // as much room as the letters: a flood of large payloads stays within the DLQ's share
      ...(dlq && dlq.config.max_bytes > 0 && { max_bytes: dlq.config.max_bytes }),
      description: `payloads of ${STREAM.deadLetters} letters over the inline limit`,
    });
  }
}

/** Reads and deletes the objects letters point to (operator side). */
export class PayloadRefs {
  private readonly objm: Objm;
  private readonly opened = new Map<string, Promise<ObjectStore>>();

  constructor(js: JetStreamClient) {
    this.objm = new Objm(js);
  }

  /** The object's bytes, checked against the sha256 the letter recorded. */
  async read(ref: PayloadRef): Promise<Uint8Array> {
    const bytes = await (await this.open(ref.bucket)).getBlob(ref.name);
    if (bytes === null) throw new Error(`payload object ${ref.bucket}/${ref.name} is gone`);
    const sha = sha256Hex(bytes);
    if (sha !== ref.sha256 || bytes.byteLength !== ref.bytes)
      throw new Error(
        `payload object ${ref.bucket}/${ref.name} does not match its letter ` +
          `(sha256 ${sha}, ${bytes.byteLength} bytes; expected ${ref.sha256}, ${ref.bytes} bytes)`,
      );
    return bytes;
  }

  /** Deletes the object; one already gone (or its bucket) is fine. */
  async remove(ref: PayloadRef): Promise<void> {
    const store = await this.open(ref.bucket).catch((err: Error) => {
      if (err.message === 'object store not found') return undefined;
      throw err;
    });
    await store?.delete(ref.name);
  }

  private open(bucket: string): Promise<ObjectStore> {
    let store = this.opened.get(bucket);
    if (!store) {
      store = this.objm.open(bucket);
      store.catch(() => this.opened.delete(bucket));
      this.opened.set(bucket, store);
    }
    return store;
  }
}
