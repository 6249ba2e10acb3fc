import { z } from 'zod';
import { NeighborsArgs, PathArgs } from '../graph/args';
import type { GraphQueries } from '../../storage';
import type { McpDeps } from './deps';
import { RpcCode, RpcError } from './jsonrpc';
import { LimitError } from '../limits/errors';
import { defineTool } from './tool';

/** A process without the graph (no writer role, or the graph is off) answers this, not a crash. */
export function noGraph(): RpcError {
  return new RpcError(
    RpcCode.UNAVAILABLE,
    'Unavailable: this process holds no graph store; ask a process that runs the graph writer',
    undefined,
    { reason: 'no_graph' },
  );
}

/** A query of the graph; a graph held by no process (asked over NATS) is no_graph too. */
async function ask<T>(deps: McpDeps, query: (graph: GraphQueries) => Promise<T>): Promise<T> {
  if (!deps.graph) throw noGraph();
  try {
    return await query(deps.graph);
  } catch (err) {
    if (err instanceof LimitError && err.reason === 'no_graph') throw noGraph();
    throw err;
  }
}

export const queryKnowledgeGraph = defineTool({
  name: 'query_knowledge_graph',
  description:
    'Neighbours of an entity (`type:id`) over edges of every visible system, optionally of ' +
    'one edge type (limit 1..500, default 50): {entity_id, total_neighbors, neighbors}.',
  args: NeighborsArgs,
  run: async (args, deps, call) => ({
    ...(await ask(deps, (graph) =>
      graph.neighbors(args.entity_id, {
        ...(args.edge_type !== undefined && { edgeType: args.edge_type }),
        limit: args.limit,
        scope: call.principal.systems,
      }),
    )),
  }),
});

export const findPath = defineTool({
  name: 'find_path',
  description:
    'Shortest path between two entities over edges in either direction, at most max_hops ' +
    '(1..6, default 3): {source_id, target_id, path_found, path?, hops?}.',
  args: PathArgs,
  run: async (args, deps, call) => ({
    ...(await ask(deps, (graph) =>
      graph.findPath(args.source_id, args.target_id, {
        maxHops: args.max_hops,
        scope: call.principal.systems,
      }),
    )),
  }),
});

export const getGraphStatistics = defineTool({
  name: 'get_graph_statistics',
  description:
    'Entities and edges by type, overall and per system, of the systems the caller may see.',
  args: z.object({}),
  run: async (_args, deps, call) => ({
    ...(await ask(deps, (graph) => graph.statistics(call.principal.systems))),
  }),
});
