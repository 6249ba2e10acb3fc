import { EntityIdArg, NeighborsQuery, PathQuery } from '../graph/args';
import { fromZod, invalid, json, ref, type Schema } from './helpers';

const noGraph = json('this process holds no graph store', ref('NoGraph'));

const entityIdParam = {
  name: 'entity_id',
  in: 'path',
  required: true,
  description: '`type:id`, percent-encoded as one path segment',
  schema: fromZod(EntityIdArg, 'input'),
};

/** Query parameters from a zod object: one per property, required where zod requires it. */
function queryParams(schema: Schema): Schema[] {
  const properties = (schema.properties ?? {}) as Record<string, Schema>;
  const required = (schema.required ?? []) as string[];
  return Object.entries(properties).map(([name, s]) => ({
    name,
    in: 'query',
    required: required.includes(name),
    schema: s,
  }));
}

/** The knowledge graph (reader), within the caller's systems: the MCP graph tools as REST. */
export const graphPaths = {
  '/api/v1/graph/entities/{entity_id}': {
    get: {
      summary: 'one entity with the systems and source ids that state it',
      parameters: [entityIdParam],
      responses: {
        200: json('the entity', ref('EntityDetail')),
        400: invalid,
        404: json('no such entity in the systems the caller may see', ref('NotFound')),
        503: noGraph,
      },
    },
  },
  '/api/v1/graph/entities/{entity_id}/neighbors': {
    get: {
      summary: "neighbours of an entity: the Python Akosha's query_knowledge_graph",
      parameters: [entityIdParam, ...queryParams(fromZod(NeighborsQuery, 'input'))],
      responses: {
        200: json('neighbours, at most limit', ref('GraphNeighbors')),
        400: invalid,
        503: noGraph,
      },
    },
  },
  '/api/v1/graph/path': {
    get: {
      summary: "shortest path over edges in either direction: the Python Akosha's find_path",
      parameters: queryParams(fromZod(PathQuery, 'input')),
      responses: {
        200: json('the path, or path_found false', ref('GraphPath')),
        400: invalid,
        503: noGraph,
      },
    },
  },
  '/api/v1/graph/statistics': {
    get: {
      summary: 'entities and edges by type, overall and per system: get_graph_statistics',
      responses: { 200: json('counts', ref('GraphStatistics')), 503: noGraph },
    },
  },
};
