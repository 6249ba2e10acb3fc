import { hostname } from 'node:os';
import { resolve } from 'node:path';
import { Kvm, type KV } from '@nats-io/kv';
import type { NatsConnection } from '@nats-io/transport-node';
import type { Logger } from '../infra/logger';

const BUCKET = 'AKOSHA_WRITER_LEASES';
/** A lease not renewed for this long lapses, so a writer that died frees its groups. */
const LEASE_TTL_MS = 30_000;
const RENEW_EVERY_MS = 10_000;

export class LeaseConflictError extends Error {}

/**
 * Claims the shard groups a writer owns. DuckDB allows one writer per file, so
 * two writers with overlapping groups would retry forever on each other's file
 * locks; the second one refuses to start instead. A writer restarted on the same
 * host with the same data directory takes its own lease back at once.
 */
export class WriterLease {
  private timer?: NodeJS.Timeout;

  private constructor(
    private readonly kv: KV,
    private readonly groups: number[],
    private readonly owner: string,
    private readonly log: Logger,
  ) {}

  static async claim(
    nc: NatsConnection,
    groups: number[],
    hotDir: string,
    log: Logger,
  ): Promise<WriterLease> {
    const kv = await new Kvm(nc).create(BUCKET, { ttl: LEASE_TTL_MS, history: 1 });
    const lease = new WriterLease(kv, groups, `${hostname()}:${resolve(hotDir)}`, log);
    try {
      for (const group of groups) await lease.claimGroup(group);
    } catch (err) {
      await lease.release(); // only ever deletes keys this owner holds
      throw err;
    }
    lease.timer = setInterval(() => void lease.renew(), RENEW_EVERY_MS);
    lease.timer.unref();
    return lease;
  }

  /** create() and update(revision) are compare-and-set: two writers starting together cannot both win. */
  private async claimGroup(group: number): Promise<void> {
    const key = `group-${group}`;
    const current = await this.kv.get(key);
    const holder = current?.operation === 'PUT' ? current.string() : undefined;
    if (holder !== undefined && holder !== this.owner) {
      throw new LeaseConflictError(
        `shard group ${group} is written by ${holder}; give each writer disjoint AKOSHA_WRITER_GROUPS`,
      );
    }
    try {
      if (holder === undefined) await this.kv.create(key, this.owner);
      else await this.kv.update(key, this.owner, current!.revision);
    } catch (err) {
      throw new LeaseConflictError(`shard group ${group} was claimed by another writer just now`, {
        cause: err,
      });
    }
  }

  private async renew(): Promise<void> {
    for (const group of this.groups) {
      await this.kv
        .put(`group-${group}`, this.owner)
        .catch((err) => this.log.warn({ err, group }, 'lease renewal failed'));
    }
  }

  async release(): Promise<void> {
    clearInterval(this.timer);
    for (const group of this.groups) {
      const entry = await this.kv.get(`group-${group}`).catch(() => null);
      if (entry?.operation === 'PUT' && entry.string() === this.owner) {
        await this.kv.delete(`group-${group}`).catch(() => undefined);
      }
    }
  }
}
