import { z } from 'zod';
import { normaliseEntityId } from '../../schemas';

/** Bounds of the graph queries, shared by the MCP tools and the REST routes. */
export const GRAPH_BOUNDS = {
  maxIdChars: 1200,
  maxEdgeTypeChars: 200,
  defaultLimit: 50,
  maxLimit: 500,
  defaultHops: 3,
  maxHops: 6,
} as const;

const B = GRAPH_BOUNDS;

/** A `type:id` entity id as the Python Akosha writes it, matched in the stored (normalised) form. */
export const EntityIdArg = z.string().min(1).max(B.maxIdChars).transform(normaliseEntityId);
const EdgeType = z.string().min(1).max(B.maxEdgeTypeChars);

/** A JSON number for the tools; REST query strings are coerced first. */
const count = (min: number, max: number, fallback: number, coerce: boolean) =>
  (coerce ? z.coerce.number() : z.number()).int().min(min).max(max).default(fallback);

const neighborsShape = (coerce: boolean) => ({
  edge_type: EdgeType.optional().describe('only edges of this type'),
  limit: count(1, B.maxLimit, B.defaultLimit, coerce),
});

const hopsShape = (coerce: boolean) => ({
  max_hops: count(1, B.maxHops, B.defaultHops, coerce),
});

/** `query_knowledge_graph(entity_id, edge_type?, limit=50)` */
export const NeighborsArgs = z.object({ entity_id: EntityIdArg, ...neighborsShape(false) });

/** `find_path(source_id, target_id, max_hops=3)` */
export const PathArgs = z.object({
  source_id: EntityIdArg,
  target_id: EntityIdArg,
  ...hopsShape(false),
});

/** `GET /api/v1/graph/entities/{entity_id}/neighbors?edge_type=&limit=` */
export const NeighborsQuery = z.object(neighborsShape(true));

/** `GET /api/v1/graph/path?source_id=&target_id=&max_hops=` */
export const PathQuery = z.object({
  source_id: EntityIdArg,
  target_id: EntityIdArg,
  ...hopsShape(true),
});
