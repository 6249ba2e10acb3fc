import type { FastifyInstance, FastifyReply } from 'fastify';
import { z } from 'zod';
import type { GraphQueries } from '../../storage';
import { EntityIdArg, NeighborsQuery, PathQuery } from '../graph/args';
import { scopeOf } from '../scope';
import { invalidRequest, notFound } from './replies';

export interface GraphRouteDeps {
  /** absent in a process that holds no graph: every graph route answers 503 */
  graph?: GraphQueries | undefined;
}

export const noGraph = (reply: FastifyReply): FastifyReply =>
  reply.code(503).send({ error: 'no_graph', message: 'this process holds no graph store' });

const EntityParams = z.object({ entity_id: EntityIdArg });

/**
 * The knowledge graph, read within the caller's system scope, in the shapes of the MCP tools
 * `query_knowledge_graph`, `find_path` and `get_graph_statistics`. Entity ids hold `:` and may
 * hold `/`: clients percent-encode them as one path segment.
 */
export function registerGraphRoutes(app: FastifyInstance, deps: GraphRouteDeps): void {
  app.get('/api/v1/graph/entities/:entity_id', async (req, reply) => {
    const params = EntityParams.safeParse(req.params);
    if (!params.success) return invalidRequest(reply, params.error.issues);
    if (!deps.graph) return noGraph(reply);
    const entity = await deps.graph.entity(params.data.entity_id, scopeOf(req));
    return entity ?? notFound(reply);
  });

  app.get('/api/v1/graph/entities/:entity_id/neighbors', async (req, reply) => {
    const params = EntityParams.safeParse(req.params);
    if (!params.success) return invalidRequest(reply, params.error.issues);
    const query = NeighborsQuery.safeParse(req.query ?? {});
    if (!query.success) return invalidRequest(reply, query.error.issues);
    if (!deps.graph) return noGraph(reply);
    const { edge_type, limit } = query.data;
    return deps.graph.neighbors(params.data.entity_id, {
      ...(edge_type !== undefined && { edgeType: edge_type }),
      limit,
      scope: scopeOf(req),
    });
  });

  app.get('/api/v1/graph/path', async (req, reply) => {
    const query = PathQuery.safeParse(req.query ?? {});
    if (!query.success) return invalidRequest(reply, query.error.issues);
    if (!deps.graph) return noGraph(reply);
    const { source_id, target_id, max_hops } = query.data;
    return deps.graph.findPath(source_id, target_id, { maxHops: max_hops, scope: scopeOf(req) });
  });

  app.get('/api/v1/graph/statistics', async (req, reply) => {
    if (!deps.graph) return noGraph(reply);
    return deps.graph.statistics(scopeOf(req));
  });
}
