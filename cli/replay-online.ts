import { RequestError, type NatsConnection } from '@nats-io/transport-node';
import type { AkoshaConfig } from '../infra';
import { type ReplayReply, type ReplayRequest, shardOf } from '../schemas';
import { groupOfShard, subjects } from '../streams';

export interface OnlineReplayFlags {
  fromSeq?: number;
  since?: Date;
  system?: string;
  shard?: number;
  dryRun?: boolean;
  batchBytes?: number;
  onlineTimeoutS?: number;
}

/** One shard's replay may take a while; the writer answers when it is done. */
const DEFAULT_TIMEOUT_S = 3600;

/**
 * `akosha replay --online`: hands the replay of one shard to the writer that owns it
 * (a request on akosha.ops.replay.<group>), which replays into its own open store.
 * Returns the writer's summary.
 */
export async function replayOnline(
  nc: NatsConnection,
  config: AkoshaConfig,
  flags: OnlineReplayFlags,
): Promise<unknown> {
  if (flags.shard === undefined && flags.system === undefined)
    throw new Error('--online replays one shard: give --shard or --system');
  if (flags.dryRun) throw new Error('--online writes: for a dry run, leave --online out');
  const shard = flags.shard ?? shardOf(flags.system!);
  const group = groupOfShard(shard, config.streams.shardGroups);
  const request: ReplayRequest = {
    schema_version: 1,
    ...(flags.shard !== undefined && { shard: flags.shard }),
    ...(flags.system !== undefined && { system_id: flags.system }),
    ...(flags.fromSeq !== undefined && { from_seq: flags.fromSeq }),
    ...(flags.since !== undefined && { since: flags.since.toISOString() }),
    ...(flags.batchBytes !== undefined && { batch_bytes: flags.batchBytes }),
  };
  const timeout = (flags.onlineTimeoutS ?? DEFAULT_TIMEOUT_S) * 1000;
  let reply: ReplayReply;
  try {
    const msg = await nc.request(subjects.replayRequest(group), JSON.stringify(request), {
      timeout,
    });
    reply = JSON.parse(msg.string()) as ReplayReply;
  } catch (err) {
    if (err instanceof RequestError && err.isNoResponders())
      throw new Error(
        `akosha replay --online: no live writer serves shard group ${group} (shard ${shard}); ` +
          'with no writer owning it, run the replay without --online',
      );
    throw err;
  }
  if (!reply.ok)
    throw new Error(`akosha replay --online: the writer did not replay: ${reply.error}`);
  return reply.summary;
}
