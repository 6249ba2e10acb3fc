import { z } from 'zod';
import type { EntityDetail, LinkedEntity, StoredMemory, TierCounts } from '../../storage';
import type { FailedShard, SearchHit } from '../search';

/**
 * The replies of the query endpoints, and the checks the caller runs on them: a writer is
 * trusted to fill its fields, but a reply of another shape (another release, a stray
 * responder) is an error of that writer, not a crash of the API.
 */

export interface SearchReply {
  results: SearchHit[];
  failed: FailedShard[];
  /** hits left out so that the reply fits the server's max_payload */
  cut?: number;
}

export interface CountsReply {
  systems: ({ system_id: string } & TierCounts)[];
}

export interface StatusReply {
  owner: string;
  groups: number[];
  hot_shards: number[];
  warm_shards: number[];
  ready: boolean;
}

/** What checks a reply: a zod schema, or a structural check where copying the reply costs. */
export interface ReplyCheck<T> {
  safeParse(value: unknown): { success: true; data: T } | { success: false };
}

const Hit = z.looseObject({
  system_id: z.string(),
  id: z.string(),
  similarity: z.number(),
  tier: z.enum(['hot', 'warm', 'cold']),
  shard: z.number().int(),
});

const Failed = z.object({
  tier: z.enum(['hot', 'warm', 'cold']),
  shard: z.number().int(),
  reason: z.enum(['timeout', 'error']),
  message: z.string(),
});

export const SearchReplyShape = z.object({
  results: z.array(Hit),
  failed: z.array(Failed),
  cut: z.number().int().optional(),
});

const Count = z.number().int().nonnegative();
export const CountsReplyShape = z.object({
  systems: z.array(z.object({ system_id: z.string(), hot: Count, warm: Count, cold: Count })),
});

const Shards = z.array(z.number().int());
export const StatusReplyShape = z.object({
  owner: z.string(),
  groups: Shards,
  hot_shards: Shards,
  warm_shards: Shards,
  ready: z.boolean(),
});

export const MemoryReplyShape = z.object({ memory: z.looseObject({ id: z.string() }).nullable() });
export type MemoryReply = { memory: StoredMemory | null };

export const EntityReplyShape = z.object({
  entity: z.looseObject({ entity_id: z.string() }).nullable(),
});
export type EntityReply = { entity: EntityDetail | null };

export const LinkedReplyShape = z.object({
  linked: z.array(
    z.tuple([
      z.string(),
      z.array(z.object({ entity_id: z.string(), entity_type: z.string(), name: z.string() })),
    ]),
  ),
});
export type LinkedReply = { linked: [string, LinkedEntity[]][] };

/** neighbors, path and statistics: objects in the GraphStore's own shapes */
export const ObjectReplyShape = z.looseObject({});
