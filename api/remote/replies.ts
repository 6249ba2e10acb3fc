import { z } from 'zod';
import type {
  EntityDetail,
  LinkedEntity,
  StoredMemory,
  TierCounts,
  TierSizes,
} from '../../storage';
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

export interface SizesReply {
  systems: ({ system_id: string } & TierSizes)[];
  /** this writer's shard files per tier; cold: the objects of its systems */
  disk_bytes: Record<keyof TierSizes, number>;
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

const TIERS: ReadonlySet<unknown> = new Set(['hot', 'warm', 'cold']);
const REASONS: ReadonlySet<unknown> = new Set(['timeout', 'error']);
const isObject = (v: unknown): v is Record<string, unknown> => typeof v === 'object' && v !== null;

const isHit = (h: unknown): boolean =>
  isObject(h) &&
  typeof h.system_id === 'string' &&
  typeof h.id === 'string' &&
  typeof h.similarity === 'number' &&
  TIERS.has(h.tier) &&
  Number.isInteger(h.shard);

const isFailedShard = (f: unknown): boolean =>
  isObject(f) &&
  TIERS.has(f.tier) &&
  Number.isInteger(f.shard) &&
  REASONS.has(f.reason) &&
  typeof f.message === 'string';

function isSearchReply(v: unknown): v is SearchReply {
  if (!isObject(v)) return false;
  const { results, failed, cut } = v;
  return (
    Array.isArray(results) &&
    results.every(isHit) &&
    Array.isArray(failed) &&
    failed.every(isFailedShard) &&
    (cut === undefined || Number.isInteger(cut))
  );
}

/**
 * A search reply checked in place, field by field as a schema would, without the copy a
 * schema makes of every hit: the fields the merge reads; the rest of a hit is the writer's,
 * passed on as it is.
 */
export const SearchReplyShape: ReplyCheck<SearchReply> = {
  safeParse: (value) =>
    isSearchReply(value) ? { success: true, data: value } : { success: false },
};

const Count = z.number().int().nonnegative();
export const CountsReplyShape = z.object({
  systems: z.array(z.object({ system_id: z.string(), hot: Count, warm: Count, cold: Count })),
});

const Size = z.object({ records: Count, bytes: Count });
const Tiers = <T extends z.ZodType>(of: T) => z.object({ hot: of, warm: of, cold: of });
export const SizesReplyShape = z.object({
  systems: z.array(Tiers(Size).extend({ system_id: z.string() })),
  disk_bytes: Tiers(Count),
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
