import { shardOf } from '../../schemas';
import { groupOfShard, subjects } from '../../streams';
import { LimitError } from '../limits/errors';
import type { SystemScope } from '../scope';
import type { FailedWriter } from '../search';
import { QueryCallError, type QueryClient } from './query-client';
import type { ReplyCheck } from './replies';
import type { WriterDirectory, WriterRef } from './writer-directory';

/** One writer's answer, or why there is none. */
export type Gathered<T> = { writer: WriterRef; reply: T } | FailedWriter;

export const isFailure = <T>(g: Gathered<T>): g is FailedWriter => 'reason' in g;

/**
 * The shard groups a query needs: the one of its system, those of the scope's systems, or
 * every group.
 */
export function groupsOf(systemId: string | undefined, scope: SystemScope, groupCount: number) {
  const group = (system: string) => groupOfShard(shardOf(system), groupCount);
  if (systemId !== undefined) return [group(systemId)];
  if (scope !== '*') return [...new Set(scope.map(group))];
  return Array.from({ length: groupCount }, (_, g) => g);
}

/** With no writer alive at all there is nothing to ask: 503 no_shards, as a process without shards answers. */
export function assertWriters(directory: WriterDirectory): void {
  if (!directory.hasWriters())
    throw new LimitError(503, 'no_shards', 'no writer process holds a live lease');
}

/** Groups no live writer holds: their records are missing from the answer. */
export const unheldFailure = (groups: number[]): FailedWriter => ({
  writer: 'none',
  groups,
  reason: 'error',
  message: 'no writer holds a live lease on these shard groups',
});

/**
 * Sends `body` to the `endpoint` of every writer holding one of `groups`, each under the
 * client's deadline, and gathers what each answers; a writer that times out or fails is
 * listed as a FailedWriter, and so are groups nobody holds.
 */
export async function scatter<T>(
  client: QueryClient,
  directory: WriterDirectory,
  target: { groups: number[]; endpoint: string },
  body: string,
  check: ReplyCheck<T>,
): Promise<Gathered<T>[]> {
  const { writers, unheld } = directory.route(target.groups);
  const gathered = await Promise.all(
    writers.map(async (writer): Promise<Gathered<T>> => {
      try {
        const subject = subjects.query(writer.token, target.endpoint);
        return { writer, reply: await client.call(subject, body, check) };
      } catch (err) {
        const failed = err instanceof QueryCallError ? err : undefined;
        const { owner, groups } = writer;
        const message = failed?.message ?? String(err);
        return { writer: owner, groups, reason: failed?.reason ?? 'error', message };
      }
    }),
  );
  return unheld.length > 0 ? [...gathered, unheldFailure(unheld)] : gathered;
}
