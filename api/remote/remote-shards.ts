import { shardOf } from '../../schemas';
import type { StoredMemory, TierCounts, TierSizes } from '../../storage';
import { groupOfShard, subjects } from '../../streams';
import { LimitError } from '../limits/errors';
import type { ShardQueries, ShardsStatus, SystemCounts, SystemSizes } from '../query-backend';
import { inScope, type SystemScope } from '../scope';
import type { FailedWriter } from '../search';
import type { CountsCall, MemoryCall } from './protocol';
import { QueryCallError, type QueryClient } from './query-client';
import { CountsReplyShape, MemoryReplyShape, SizesReplyShape, StatusReplyShape } from './replies';
import { assertWriters, groupsOf, isFailure, scatter } from './scatter';
import type { WriterDirectory } from './writer-directory';

export interface RemoteShardsDeps {
  client: QueryClient;
  directory: WriterDirectory;
  groupCount: number;
}

/** Memory lookups, counts and status asked of the writers that hold the shards. */
export class RemoteShards implements ShardQueries {
  constructor(private readonly deps: RemoteShardsDeps) {}

  /** From the writer of the system's shard group only: 503 no_shards when none holds it, 504 past the deadline. */
  async memory(systemId: string, id: string, scope: SystemScope): Promise<StoredMemory | null> {
    if (!inScope(scope, systemId)) return null;
    assertWriters(this.deps.directory);
    const group = groupOfShard(shardOf(systemId), this.deps.groupCount);
    const { writers } = this.deps.directory.route([group]);
    const writer = writers[0];
    if (!writer)
      throw new LimitError(
        503,
        'no_shards',
        `no writer holds a live lease on shard group ${group}`,
      );
    const call: MemoryCall = { system_id: systemId, id, scope };
    const subject = subjects.query(writer.token, 'memory');
    try {
      const reply = await this.deps.client.call(subject, JSON.stringify(call), MemoryReplyShape);
      return reply.memory as StoredMemory | null;
    } catch (err) {
      throw err instanceof QueryCallError ? err.toHttp() : err;
    }
  }

  async counts(systemId: string | undefined, scope: SystemScope): Promise<SystemCounts> {
    const { client, directory, groupCount } = this.deps;
    assertWriters(directory);
    const groups = groupsOf(systemId, scope, groupCount);
    const call: CountsCall = { ...(systemId !== undefined && { system_id: systemId }), scope };
    const target = { groups, endpoint: 'counts' };
    const gathered = await scatter(
      client,
      directory,
      target,
      JSON.stringify(call),
      CountsReplyShape,
    );
    const counts = new Map<string, TierCounts>();
    const failed: FailedWriter[] = [];
    for (const answer of gathered) {
      if (isFailure(answer)) failed.push(answer);
      else
        for (const { system_id, hot, warm, cold } of answer.reply.systems)
          if (inScope(scope, system_id)) counts.set(system_id, { hot, warm, cold });
    }
    return { counts, failed };
  }

  /** Each writer's systems (it reports only those of its shards) and its files, summed. */
  async sizes(systemId: string | undefined, scope: SystemScope): Promise<SystemSizes> {
    const { client, directory, groupCount } = this.deps;
    assertWriters(directory);
    const groups = groupsOf(systemId, scope, groupCount);
    const call: CountsCall = { ...(systemId !== undefined && { system_id: systemId }), scope };
    const target = { groups, endpoint: 'sizes' };
    const gathered = await scatter(
      client,
      directory,
      target,
      JSON.stringify(call),
      SizesReplyShape,
    );
    const sizes = new Map<string, TierSizes>();
    const diskBytes = { hot: 0, warm: 0, cold: 0 };
    const failed: FailedWriter[] = [];
    for (const answer of gathered) {
      if (isFailure(answer)) {
        failed.push(answer);
        continue;
      }
      for (const tier of ['hot', 'warm', 'cold'] as const)
        diskBytes[tier] += answer.reply.disk_bytes[tier];
      for (const { system_id, ...tiers } of answer.reply.systems)
        if (inScope(scope, system_id)) sizes.set(system_id, tiers);
    }
    return { sizes, diskBytes, failed };
  }

  /** Every writer's shards; their union as this process's own would list them. */
  async status(): Promise<ShardsStatus> {
    const { client, directory, groupCount } = this.deps;
    const target = { groups: groupsOf(undefined, '*', groupCount), endpoint: 'status' };
    const gathered = await scatter(client, directory, target, '{}', StatusReplyShape);
    const hot = new Set<number>();
    const warm = new Set<number>();
    const listed = gathered.filter((a) => !isFailure(a) || a.writer !== 'none');
    if (listed.length === 0) return { hot_shards: [], warm_shards: [] };
    const writers = listed.map((answer) => {
      if (isFailure(answer)) return answer;
      answer.reply.hot_shards.forEach((s) => hot.add(s));
      answer.reply.warm_shards.forEach((s) => warm.add(s));
      return answer.reply;
    });
    const sorted = (s: Set<number>) => [...s].sort((a, b) => a - b);
    return { hot_shards: sorted(hot), warm_shards: sorted(warm), writers };
  }
}
