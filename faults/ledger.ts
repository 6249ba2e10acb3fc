import { createHash } from 'node:crypto';
import type { UploadMessage } from '../schemas/upload';

/** What the broker acknowledged, and what follows from it for the stores and the events. */
export interface Expectation {
  /** record keys of acknowledged uploads: each stored exactly once */
  keys: Set<string>;
  /** keys of records that share one text (per system): exactly one of each group is stored */
  groups: { keys: string[]; acked: boolean }[];
  /** keys only unacknowledged uploads carry: stored at most once, absence is no loss */
  maybeKeys: Set<string>;
  /** `system/upload` of acknowledged uploads: exactly one event each */
  uploads: Set<string>;
  maybeUploads: Set<string>;
  /** stream sequences of the deliberately invalid messages the broker took */
  invalidSeqs: Set<number>;
  /** `system/upload` of valid uploads whose record kills the writer: dead-lettered, never stored */
  poisonUploads: Set<string>;
}

const sha = (s: string) => createHash('sha256').update(s, 'utf8').digest('hex');
export const uploadKey = (systemId: string, uploadId: string) => `${systemId}/${uploadId}`;

/**
 * Every broker ack of a run, in the order the producer sent. Uploads whose publish never
 * got an ack are kept as attempted: they may or may not be stored (indeterminate).
 */
export class AckLedger {
  private readonly attempted = new Map<string, UploadMessage>();
  private readonly acked = new Set<string>();
  readonly invalidSeqs = new Set<number>();
  readonly poisonUploads = new Set<string>();
  ackCount = 0;
  failedPublishes = 0;

  attempt(upload: UploadMessage): void {
    const key = uploadKey(upload.system_id, upload.upload_id);
    if (!this.attempted.has(key)) this.attempted.set(key, upload);
  }

  ack(upload: UploadMessage): void {
    this.acked.add(uploadKey(upload.system_id, upload.upload_id));
    this.ackCount++;
  }

  get ackedUploads(): number {
    return this.acked.size;
  }

  /** Replays the writer's dedupe rule (first key wins; a known text is not stored again). */
  expectation(): Expectation {
    const keys = new Set<string>();
    const maybeKeys = new Set<string>();
    const seenKeys = new Set<string>();
    const byContent = new Map<string, { keys: string[]; acked: boolean }>();
    for (const [uploadId, upload] of this.attempted) {
      if (this.poisonUploads.has(uploadId)) continue;
      const acked = this.acked.has(uploadId);
      for (const r of upload.records) {
        const key = `${upload.system_id}/${r.id}`;
        if (seenKeys.has(key)) {
          if (acked && maybeKeys.delete(key)) keys.add(key);
          continue;
        }
        seenKeys.add(key);
        const content = `${upload.system_id}\u001f${sha(r.content)}`;
        const group = byContent.get(content) ?? { keys: [], acked: false };
        group.keys.push(key);
        group.acked ||= acked;
        byContent.set(content, group);
        (acked ? keys : maybeKeys).add(key);
      }
    }
    const groups = [...byContent.values()].filter((g) => g.keys.length > 1);
    for (const k of groups.flatMap((g) => g.keys)) {
      keys.delete(k);
      maybeKeys.delete(k);
    }
    const uploads = new Set([...this.acked].filter((k) => !this.poisonUploads.has(k)));
    const maybeUploads = new Set([...this.attempted.keys()].filter((k) => !this.acked.has(k)));
    const { invalidSeqs, poisonUploads } = this;
    return { keys, groups, maybeKeys, uploads, maybeUploads, invalidSeqs, poisonUploads };
  }
}
