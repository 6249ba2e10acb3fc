import { jetstream } from '@nats-io/jetstream';
import { Objm, StorageType, type ObjectStore } from '@nats-io/obj';
import type { NatsConnection } from '@nats-io/transport-node';
import type { Logger } from '../infra';
import { type DigestSet, MAX_DIGEST_KEYS, RecordDigest } from '../producers';
import { SYSTEM_ID_PATTERN } from '../schemas';

/** JetStream Object Store bucket holding each system's digests of its last import. */
export const CLOUD_DIGEST_BUCKET = 'AKOSHA_CLOUD_DIGESTS';

export type DigestKind = 'records' | 'graph';

/** The largest blob RecordDigest.toBytes writes (header, keys, check). */
const MAX_DIGEST_BYTES = 13 + MAX_DIGEST_KEYS * 8;

export const digestObjectName = (systemId: string, kind: DigestKind) => `${systemId}.${kind}`;

/**
 * What the last import of each system published, one object `<system_id>.<kind>` each.
 * A digest that is absent, too large or corrupt loads as empty: the next import then
 * publishes everything again, which the writers drop as duplicates; only slower.
 */
export class DigestStore {
  private constructor(
    private readonly store: ObjectStore,
    private readonly log: Logger | undefined,
  ) {}

  /** Opens the bucket, creating it on first use (file storage, no expiry). */
  static async open(nc: NatsConnection, log?: Logger, bucket = CLOUD_DIGEST_BUCKET) {
    const store = await new Objm(jetstream(nc)).create(bucket, {
      storage: StorageType.File,
      description: 'digests of what the last cloud import of each system published',
    });
    return new DigestStore(store, log);
  }

  async load(systemId: string, kind: DigestKind): Promise<DigestSet> {
    const name = objectName(systemId, kind);
    const info = await this.store.info(name);
    if (info === null || info.deleted) return new RecordDigest();
    if (info.size > MAX_DIGEST_BYTES) {
      this.log?.warn({ systemId, kind, bytes: info.size }, 'digest too large; starting empty');
      return new RecordDigest();
    }
    try {
      const bytes = await this.store.getBlob(name);
      return bytes === null ? new RecordDigest() : RecordDigest.fromBytes(bytes);
    } catch (err) {
      this.log?.warn({ err, systemId, kind }, 'digest unreadable; starting empty');
      return new RecordDigest();
    }
  }

  async save(systemId: string, kind: DigestKind, digest: DigestSet): Promise<void> {
    if (!(digest instanceof RecordDigest))
      throw new Error('DigestStore saves RecordDigest sets only');
    await this.store.putBlob({ name: objectName(systemId, kind) }, digest.toBytes());
  }

  /** Forgets a digest: the next import of the system publishes everything. */
  async remove(systemId: string, kind: DigestKind): Promise<void> {
    const name = objectName(systemId, kind);
    const info = await this.store.info(name);
    if (info !== null && !info.deleted) await this.store.delete(name);
  }
}

function objectName(systemId: string, kind: DigestKind): string {
  if (!SYSTEM_ID_PATTERN.test(systemId))
    throw new Error(`system_id "${systemId}" must match ${SYSTEM_ID_PATTERN}`);
  return digestObjectName(systemId, kind);
}
