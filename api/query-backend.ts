import {
  countsBySystem,
  findMemory,
  type GraphQueries,
  type HotStore,
  sizesBySystem,
  type StoredMemory,
  type TierCounts,
  type TierMover,
  type TierSizes,
} from '../storage';
import { inScope, type SystemScope } from './scope';
import type { FailedWriter, SearchRequest, SearchResponse } from './search';

/** The search as the routes call it: embedded, cached, within a scope. */
export interface Searcher {
  search(req: SearchRequest, scope?: SystemScope): Promise<SearchResponse>;
}

/** Records per system and tier; writers that gave no answer are listed. */
export interface SystemCounts {
  counts: Map<string, TierCounts>;
  failed: FailedWriter[];
}

/** Records and bytes per system and tier, with the tiers' files on disk summed over writers. */
export interface SystemSizes {
  sizes: Map<string, TierSizes>;
  diskBytes: Record<keyof TierSizes, number>;
  failed: FailedWriter[];
}

/** One writer process's shards, as the status route lists them. */
export interface WriterShards {
  owner: string;
  groups: number[];
  hot_shards: number[];
  warm_shards: number[];
  ready: boolean;
}

export interface ShardsStatus {
  hot_shards: number[];
  warm_shards: number[];
  /** with writers in other processes: each one, or why it did not answer */
  writers?: (WriterShards | FailedWriter)[];
}

/** Memory lookups, counts and status over the shards (of this process, or of every writer). */
export interface ShardQueries {
  /** null: unknown, or outside the scope */
  memory(systemId: string, id: string, scope: SystemScope): Promise<StoredMemory | null>;
  counts(systemId: string | undefined, scope: SystemScope): Promise<SystemCounts>;
  sizes(systemId: string | undefined, scope: SystemScope): Promise<SystemSizes>;
  status(): Promise<ShardsStatus>;
}

/**
 * What the query routes read from: this process's own tiers when it holds every shard
 * group (no NATS hop), or the writers' query endpoints over NATS (api/remote).
 */
export interface QueryBackend {
  readonly kind: 'local' | 'remote';
  /** absent: no shards to search (the routes answer 503 no_shards) */
  readonly search: Searcher | undefined;
  readonly shards: ShardQueries | undefined;
  /** absent: no graph (503 no_graph) */
  readonly graph: GraphQueries | undefined;
}

/** This process's own tiers and graph. */
export function localQueryBackend(deps: {
  store?: HotStore | undefined;
  mover?: TierMover | undefined;
  search?: Searcher | undefined;
  graph?: GraphQueries | undefined;
}): QueryBackend {
  const { store, mover } = deps;
  const shards: ShardQueries | undefined = store && {
    memory: async (systemId, id, scope) =>
      inScope(scope, systemId) ? findMemory(store, mover, systemId, id) : null,
    counts: async (systemId, scope) => {
      const all = await countsBySystem(store, mover, systemId);
      const counts = new Map([...all].filter(([id]) => inScope(scope, id)));
      return { counts, failed: [] };
    },
    sizes: async (systemId, scope) => {
      const { systems, diskBytes } = await sizesBySystem(store, mover, systemId);
      const sizes = new Map([...systems].filter(([id]) => inScope(scope, id)));
      return { sizes, diskBytes, failed: [] };
    },
    status: async () => ({ hot_shards: store.shards, warm_shards: mover?.warm.shards ?? [] }),
  };
  return { kind: 'local', search: deps.search, shards, graph: deps.graph };
}
