import { JetStreamApiCodes, JetStreamApiError, jetstreamManager } from '@nats-io/jetstream';
import { Kvm, type KV } from '@nats-io/kv';
import { nanos, type NatsConnection } from '@nats-io/transport-node';
import type { Logger } from '../infra';

/** Writer leases: key `group-<n>` → `<host>:<hot dir>` of the writer that owns the group. */
export const LEASE_BUCKET = 'AKOSHA_WRITER_LEASES';
export const leaseKey = (group: number) => `group-${group}`;

/**
 * Opens (or creates) the lease bucket, whose max_age is the lease TTL: the server drops
 * a lease not renewed within it. Returns the TTL in force. A bucket with a shorter TTL
 * is raised to `ttlMs` (safe for running writers: their leases only live longer); a
 * longer one is kept, since lowering it would let another writer claim the groups of a
 * running writer before that writer stops (stop every writer to lower it).
 */
export async function openLeaseBucket(
  nc: NatsConnection,
  ttlMs: number,
  log: Logger,
): Promise<{ kv: KV; ttlMs: number }> {
  const kv = await new Kvm(nc).create(LEASE_BUCKET, { ttl: ttlMs, history: 1 });
  const current = (await kv.status()).ttl;
  if (current >= ttlMs) {
    if (current > ttlMs) log.warn({ bucketTtlMs: current, ttlMs }, 'lease bucket keeps its TTL');
    return { kv, ttlMs: current };
  }
  const jsm = await jetstreamManager(nc);
  const info = await jsm.streams.info(`KV_${LEASE_BUCKET}`);
  await jsm.streams.update(info.config.name, { ...info.config, max_age: nanos(ttlMs) });
  log.info({ fromMs: current, ttlMs }, 'lease bucket TTL raised');
  return { kv, ttlMs };
}

/** A compare-and-set write that found another revision: someone else wrote the key. */
export const isRevisionConflict = (err: unknown) =>
  err instanceof JetStreamApiError &&
  (err.code === JetStreamApiCodes.StreamWrongLastSequence ||
    err.code === JetStreamApiCodes.StreamWrongLastSequenceUnknown);
