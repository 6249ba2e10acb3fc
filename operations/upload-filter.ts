import { SHARD_COUNT, shardOf, SYSTEM_ID_PATTERN } from '../schemas';
import { subjects } from '../streams';

/** What part of AKOSHA_UPLOADS an operator tool reads. */
export interface UploadSelection {
  systemId?: string | undefined;
  shard?: number | undefined;
}

/**
 * The one filter subject (nats-server 2.9 takes one per consumer) that selects
 * a system, a shard, or everything: akosha.uploads.<shard>.<system_id>.
 */
export function uploadsFilter({ systemId, shard }: UploadSelection): string {
  if (shard !== undefined && (!Number.isInteger(shard) || shard < 0 || shard >= SHARD_COUNT))
    throw new Error(`shard must be an integer in 0..${SHARD_COUNT - 1}, got ${shard}`);
  if (systemId !== undefined) {
    if (!SYSTEM_ID_PATTERN.test(systemId)) throw new Error(`invalid system_id "${systemId}"`);
    const own = shardOf(systemId);
    if (shard !== undefined && shard !== own)
      throw new Error(`system ${systemId} lives in shard ${own}, not ${shard}`);
    return subjects.uploadsOfSystem(systemId);
  }
  return shard === undefined ? subjects.uploadsAll : subjects.uploadsOfShard(shard);
}
