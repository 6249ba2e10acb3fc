import { Kvm, type KV } from '@nats-io/kv';
import type { NatsConnection } from '@nats-io/transport-node';
import type { UploadState } from './types';

/** Per system: the listing cursor; per upload: imported, failed or abandoned. */
export const CLOUD_STATE_BUCKET = 'AKOSHA_CLOUD_STATE';

export const cursorKey = (systemId: string) => `cursor.${systemId}`;
export const uploadStateKey = (systemId: string, uploadId: string) =>
  `upload.${systemId}.${uploadId}`;

/** Whether an upload id can be a KV key's last tokens: no empty token (ids.ts excludes `..`). */
export const fitsStateKey = (uploadId: string) =>
  !uploadId.startsWith('.') && !uploadId.endsWith('.');

/** The watcher's bookkeeping in a JetStream KV bucket, shared by every watcher process. */
export class CloudStateStore {
  private constructor(private readonly kv: KV) {}

  static async open(nc: NatsConnection): Promise<CloudStateStore> {
    return new CloudStateStore(await new Kvm(nc).create(CLOUD_STATE_BUCKET, { history: 1 }));
  }

  async upload(systemId: string, uploadId: string): Promise<UploadState | undefined> {
    const entry = await this.kv.get(uploadStateKey(systemId, uploadId));
    return entry?.operation === 'PUT' ? entry.json<UploadState>() : undefined;
  }

  async setUpload(systemId: string, uploadId: string, state: UploadState): Promise<void> {
    await this.kv.put(uploadStateKey(systemId, uploadId), JSON.stringify(state));
  }

  /** The last object key of the last upload of a settled run; listing starts after it. */
  async cursor(systemId: string): Promise<string | undefined> {
    const entry = await this.kv.get(cursorKey(systemId));
    return entry?.operation === 'PUT' ? entry.string() : undefined;
  }

  async setCursor(systemId: string, key: string): Promise<void> {
    await this.kv.put(cursorKey(systemId), key);
  }
}
