import { jetstream, jetstreamManager } from '@nats-io/jetstream';
import { connect, type NatsConnection } from '@nats-io/transport-node';
import { groupOfShard, type LeaseStatus, shardsOfGroup, writerLeases } from '../streams';
import { type NatsClientSettings, natsConnectOptions } from '../infra';
import { SHARD_COUNT, shardOf } from '../schemas';

/** A live writer owns shards that an offline command was about to open. */
export class ShardsOwnedError extends Error {
  override name = 'ShardsOwnedError';
  constructor(
    message: string,
    readonly owned: LeaseStatus[],
  ) {
    super(message);
  }
}

export interface LeaseGuardOptions {
  /** the command, as an operator types it: `akosha replay` */
  command: string;
  /** the shards it would open or create; 'all' when it may touch any */
  shards: number[] | 'all';
  /** AKOSHA_SHARD_GROUPS: how shards map to the groups writers lease */
  shardGroups: number;
  /** what else the operator can do, besides stopping the writer */
  alternative?: string | undefined;
}

/**
 * Offline commands open shard files themselves. DuckDB's file lock only guards files a
 * writer already has open: a shard file it has not opened yet would be written behind
 * its back, and its vector index and in-memory rows would never learn of those records.
 * So these commands refuse every shard whose group a live writer leases.
 */
export async function refuseOwnedShards(
  nc: NatsConnection,
  opts: LeaseGuardOptions,
): Promise<void> {
  const leases = await writerLeases(jetstream(nc), await jetstreamManager(nc));
  const groups = new Set(
    (opts.shards === 'all' ? allShards() : opts.shards).map((s) =>
      groupOfShard(s, opts.shardGroups),
    ),
  );
  const owned = leases.filter((l) => groups.has(l.group));
  if (owned.length === 0) return;
  const lines = owned.map((l) => {
    const shards = shardsOfGroup(l.group, opts.shardGroups);
    const range = `${shards[0]}-${shards[shards.length - 1]}`;
    return `  shard group ${l.group} (shards ${range}): writer ${l.owner}, lease renewed ${l.renewed_at}`;
  });
  throw new ShardsOwnedError(
    [
      `${opts.command}: refused, a live writer owns shards it would open:`,
      ...lines,
      "Stop that writer first (SIGTERM releases its lease at once; a killed writer's lease " +
        'lapses after AKOSHA_LEASE_TTL_MS)' +
        (opts.alternative ? `, or ${opts.alternative}.` : '.'),
    ].join('\n'),
    owned,
  );
}

const allShards = () => Array.from({ length: SHARD_COUNT }, (_, i) => i);

/** The shards a replay or verify may touch: one shard, one system's shard, or any. */
export function selectedShards(sel: { shard?: number | undefined; system?: string | undefined }) {
  if (sel.shard !== undefined) return [sel.shard];
  return sel.system !== undefined ? [shardOf(sel.system)] : 'all';
}

/** The same check for a command that has no NATS connection of its own. */
export async function refuseOwnedShardsAt(
  nats: NatsClientSettings,
  opts: LeaseGuardOptions,
): Promise<void> {
  const url = nats.url;
  let nc: NatsConnection;
  try {
    nc = await connect(natsConnectOptions(nats, { name: 'akosha-ops' }));
  } catch (err) {
    throw new Error(
      `${opts.command}: cannot check the writer leases at ${url} (${(err as Error).message}); ` +
        'it runs only when it can tell that no live writer owns its shards',
      { cause: err },
    );
  }
  try {
    await refuseOwnedShards(nc, opts);
  } finally {
    await nc.close();
  }
}
