import type { GraphMessage } from '../../schemas';

/** The systems a caller may see: every one (`*`), or these. */
export type SystemScope = '*' | readonly string[];

/** What applying one graph message changed; applying it again changes nothing. */
export interface GraphApplyOutcome {
  /** entity / relation statements inserted or replaced by a newer one */
  entitiesWritten: number;
  relationsWritten: number;
  mentionsWritten: number;
  /** statements the store already held at the same or a newer updated_at */
  unchanged: number;
}

/** The Python Akosha's `query_knowledge_graph` reply. */
export interface NeighborsReply {
  entity_id: string;
  total_neighbors: number;
  neighbors: {
    entity_id: string;
    entity_type: string;
    edge_type: string;
    /** how many systems assert the edge */
    weight: number;
    properties: Record<string, unknown>;
  }[];
}

/** The Python Akosha's `find_path` reply: `path` lists entity ids from source to target. */
export interface PathReply {
  source_id: string;
  target_id: string;
  path_found: boolean;
  path?: string[];
  hops?: number;
}

export interface TypeCounts {
  total_entities: number;
  total_edges: number;
  entity_types: Record<string, number>;
  edge_types: Record<string, number>;
}

/** `get_graph_statistics`: overall and per system (what each system asserted). */
export interface GraphStatistics extends TypeCounts {
  systems: Record<string, TypeCounts>;
}

/** One entity as a search hit carries it. */
export interface LinkedEntity {
  entity_id: string;
  entity_type: string;
  name: string;
}

/** An entity with where it came from: every system and source id that states it. */
export interface EntityDetail extends LinkedEntity {
  systems: string[];
  sources: { system_id: string; source_id: string }[];
  observations: string[];
  properties: Record<string, unknown>;
  updated_at: string;
}

/** Counts `akosha verify` compares with what the graph stream holds. */
export interface GraphCounts {
  entityStatements: number;
  relationStatements: number;
  mentions: number;
}

/**
 * The knowledge graph: one writer applies messages; queries see only the statements of the
 * systems in scope (an entity or edge no visible system states is invisible).
 */
export interface GraphStore {
  apply(message: GraphMessage): Promise<GraphApplyOutcome>;
  neighbors(
    entityId: string,
    opts: { edgeType?: string; limit: number; scope: SystemScope },
  ): Promise<NeighborsReply>;
  /** shortest path over edges in either direction, at most maxHops edges */
  findPath(
    sourceId: string,
    targetId: string,
    opts: { maxHops: number; scope: SystemScope },
  ): Promise<PathReply>;
  statistics(scope: SystemScope): Promise<GraphStatistics>;
  entity(entityId: string, scope: SystemScope): Promise<EntityDetail | null>;
  /** entities each record mentions, keyed by `recordKey(system_id, id)` (storage/write-plan.ts) */
  entitiesOfRecords(
    records: readonly { system_id: string; id: string }[],
  ): Promise<Map<string, LinkedEntity[]>>;
  counts(): Promise<GraphCounts>;
  /** removes every statement (replay rebuilds the graph from the stream) */
  clear(): Promise<void>;
  close(): Promise<void>;
}

/** What the query side reads of the graph: a GraphStore, or a client of the process holding one. */
export type GraphQueries = Pick<
  GraphStore,
  'neighbors' | 'findPath' | 'statistics' | 'entity' | 'entitiesOfRecords'
>;
