import { randomUUID } from 'node:crypto';
import { hostname } from 'node:os';
import { Kvm, type KV } from '@nats-io/kv';
import type { NatsConnection } from '@nats-io/transport-node';
import { isRevisionConflict } from '../streams';

/** One key, `watcher`: the process that polls the bucket and imports. max_age is the TTL. */
export const WATCHER_LEASE_BUCKET = 'AKOSHA_CLOUD_LEASE';
const KEY = 'watcher';

/**
 * The cloud watcher's lease, done as the writer lease is (app/writer-lease.ts): claims and
 * renewals are compare-and-set on the key's revision, so two watchers never both hold it,
 * and it holds until the last renewal sent + TTL − TTL/6, before the server can drop the
 * key. Each process is its own owner: a restarted watcher waits for the old key to lapse.
 */
export class WatcherLease {
  readonly owner = `${hostname()}:${process.pid}:${randomUUID().slice(0, 8)}`;
  private revision = 0;
  private validUntilMs = 0;

  private constructor(
    private readonly kv: KV,
    readonly ttlMs: number,
  ) {}

  static async open(nc: NatsConnection, ttlMs: number): Promise<WatcherLease> {
    const kv = await new Kvm(nc).create(WATCHER_LEASE_BUCKET, { ttl: ttlMs, history: 1 });
    return new WatcherLease(kv, (await kv.status()).ttl || ttlMs);
  }

  holds(): boolean {
    return this.revision !== 0 && performance.now() < this.validUntilMs;
  }

  /** Takes the lease when free, or renews it when held; false when another process holds it. */
  async claimOrRenew(): Promise<boolean> {
    const sentAtMs = performance.now();
    try {
      if (this.revision !== 0 && !this.holds()) this.revision = 0; // lapsed: claim afresh
      this.revision =
        this.revision === 0
          ? await this.kv.create(KEY, this.owner)
          : await this.kv.update(KEY, this.owner, this.revision);
    } catch (err) {
      this.revision = 0;
      if (isRevisionConflict(err)) return false;
      throw err;
    }
    this.validUntilMs = sentAtMs + this.ttlMs - Math.ceil(this.ttlMs / 6);
    return true;
  }

  /** Who holds the lease now, if anyone. */
  async holder(): Promise<string | undefined> {
    const entry = await this.kv.get(KEY);
    return entry?.operation === 'PUT' ? entry.string() : undefined;
  }

  /** Deletes the key while this process still holds it, so a standby takes over at once. */
  async release(): Promise<void> {
    if (this.revision === 0) return;
    const revision = this.revision;
    this.revision = 0;
    await this.kv.delete(KEY, { previousSeq: revision }).catch(() => undefined);
  }
}
