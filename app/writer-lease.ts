import { hostname } from 'node:os';
import { resolve } from 'node:path';
import type { KV } from '@nats-io/kv';
import { connect, type NatsConnection } from '@nats-io/transport-node';
import { type Logger, type NatsClientSettings, natsConnectOptions } from '../infra';
import { isRevisionConflict, leaseKey, openLeaseBucket } from '../streams';

export class LeaseConflictError extends Error {
  override name = 'LeaseConflictError';
}

export interface WriterLeaseOptions {
  /** NATS servers: the lease has a connection of its own, so a busy pipeline can't delay renewals */
  servers: string;
  /** credentials and TLS of that connection */
  access?: Omit<NatsClientSettings, 'url'>;
  groups: number[];
  hotDir: string;
  ttlMs: number;
  renewEveryMs: number;
  log: Logger;
}

/**
 * Claims the shard groups a writer owns, in the KV bucket AKOSHA_WRITER_LEASES. DuckDB
 * allows one writer per file, so a second writer for a group refuses to start; a writer
 * restarted on the same host and data directory takes its own groups back at once.
 *
 * Fencing: every claim and renewal is compare-and-set on the key's revision, so a writer
 * never overwrites another's claim. The lease holds until (monotonic time the last
 * successful renewal was sent) + TTL − TTL/6: the server keeps the key at least TTL after
 * it received it, so no other writer can claim the group before this writer stops. A
 * renewal that finds another revision, or a lease past that time, is lost for good.
 */
export class WriterLease {
  private timer: NodeJS.Timeout | undefined;
  private readonly revisions = new Map<number, number>();
  private validUntilMs = 0;
  private lost?: string;
  private onLost?: (reason: string) => void;
  readonly owner: string;

  private constructor(
    private readonly nc: NatsConnection,
    private readonly kv: KV,
    private readonly opts: WriterLeaseOptions & { ttlMs: number },
  ) {
    this.owner = `${hostname()}:${resolve(opts.hotDir)}`;
  }

  static async claim(opts: WriterLeaseOptions): Promise<WriterLease> {
    const nc = await connect(
      natsConnectOptions(
        { url: opts.servers, ...opts.access },
        { name: 'akosha-writer-lease', maxReconnectAttempts: -1, reconnectTimeWait: 500 },
      ),
    );
    const lease = await openLeaseBucket(nc, opts.ttlMs, opts.log).then(
      ({ kv, ttlMs }) => new WriterLease(nc, kv, { ...opts, ttlMs }),
      async (err: unknown) => {
        await nc.close();
        throw err;
      },
    );
    try {
      const sentAtMs = performance.now();
      for (const group of opts.groups) await lease.claimGroup(group);
      lease.validUntilMs = lease.validUntil(sentAtMs);
    } catch (err) {
      await lease.release(); // only ever deletes keys this owner holds
      throw err;
    }
    lease.scheduleRenewal();
    return lease;
  }

  /** True while this writer may write and ack for its groups. */
  holds(): boolean {
    if (this.lost !== undefined) return false;
    if (performance.now() < this.validUntilMs) return true;
    this.markLost(`not renewed within ${this.opts.ttlMs} ms`);
    return false;
  }

  /** Why the lease was lost; undefined while it holds. */
  get lostReason(): string | undefined {
    return this.lost;
  }

  /** Called once, when the lease is lost (at once when it already is). */
  whenLost(handler: (reason: string) => void): void {
    this.onLost = handler;
    if (this.lost !== undefined) handler(this.lost);
  }

  /** create() and update(revision) are compare-and-set: two writers starting together cannot both win. */
  private async claimGroup(group: number): Promise<void> {
    const key = leaseKey(group);
    const current = await this.kv.get(key);
    const holder = current?.operation === 'PUT' ? current.string() : undefined;
    if (holder !== undefined && holder !== this.owner) {
      throw new LeaseConflictError(
        `shard group ${group} is written by ${holder}; give each writer disjoint AKOSHA_WRITER_GROUPS`,
      );
    }
    try {
      const revision =
        holder === undefined
          ? await this.kv.create(key, this.owner)
          : await this.kv.update(key, this.owner, current!.revision);
      this.revisions.set(group, revision);
    } catch (err) {
      throw new LeaseConflictError(`shard group ${group} was claimed by another writer just now`, {
        cause: err,
      });
    }
  }

  private validUntil(sentAtMs: number): number {
    return sentAtMs + this.opts.ttlMs - Math.ceil(this.opts.ttlMs / 6);
  }

  private scheduleRenewal(): void {
    this.timer = setTimeout(() => {
      void this.renew().finally(() => {
        if (this.lost === undefined && this.timer !== undefined) this.scheduleRenewal();
      });
    }, this.opts.renewEveryMs);
    this.timer.unref();
  }

  /** Renews every group by revision; the lease is extended only when all of them succeed. */
  private async renew(): Promise<void> {
    if (!this.holds()) return;
    const sentAtMs = performance.now();
    const results = await Promise.allSettled(this.opts.groups.map((g) => this.renewGroup(g)));
    const failed = results.filter((r) => r.status === 'rejected');
    const conflict = failed.find((r) => isRevisionConflict(r.reason));
    if (conflict) return this.markLost('another writer holds the lease now');
    if (failed.length === 0 && this.lost === undefined)
      this.validUntilMs = this.validUntil(sentAtMs);
    else if (failed.length > 0)
      this.opts.log.warn({ err: failed[0]!.reason, failed: failed.length }, 'lease renewal failed');
  }

  private async renewGroup(group: number): Promise<void> {
    const revision = this.revisions.get(group)!;
    const timeoutMs = Math.max(this.opts.renewEveryMs, 1000);
    this.revisions.set(
      group,
      await this.kv.update(leaseKey(group), this.owner, revision, timeoutMs),
    );
  }

  private markLost(reason: string): void {
    if (this.lost !== undefined) return;
    this.lost = reason;
    clearTimeout(this.timer);
    this.opts.log.error({ reason, groups: this.opts.groups }, 'writer lease lost');
    const handler = this.onLost;
    if (handler) queueMicrotask(() => handler(reason));
  }

  /** Stops renewing and closes the lease's connection; the keys lapse after the TTL. */
  async stop(): Promise<void> {
    clearTimeout(this.timer);
    this.timer = undefined;
    if (!this.nc.isClosed()) await this.nc.close();
  }

  /** Deletes the keys this writer still holds (by revision), then stops. */
  async release(): Promise<void> {
    clearTimeout(this.timer);
    this.timer = undefined;
    for (const [group, revision] of this.revisions) {
      await this.kv.delete(leaseKey(group), { previousSeq: revision }).catch(() => undefined);
    }
    await this.stop();
  }
}
