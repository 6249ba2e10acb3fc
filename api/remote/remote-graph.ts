import type { z } from 'zod';
import type {
  EntityDetail,
  GraphQueries,
  GraphStatistics,
  LinkedEntity,
  NeighborsReply,
  PathReply,
  SystemScope,
} from '../../storage';
import { subjects } from '../../streams';
import type { GraphCall, GraphEndpoint } from './protocol';
import { QueryCallError, type QueryClient } from './query-client';
import { EntityReplyShape, LinkedReplyShape, ObjectReplyShape } from './replies';

/**
 * The knowledge graph of the process that holds it (AKOSHA_GRAPH_WRITER), asked over NATS.
 * Nobody listening is 503 `no_graph`, as a process without the graph answers itself.
 */
export class RemoteGraph implements GraphQueries {
  constructor(private readonly client: QueryClient) {}

  private async ask<E extends GraphEndpoint, T>(
    endpoint: E,
    call: GraphCall<E>,
    shape: z.ZodType<T>,
  ): Promise<T> {
    try {
      return await this.client.call(subjects.graphQuery(endpoint), JSON.stringify(call), shape);
    } catch (err) {
      throw err instanceof QueryCallError ? err.toHttp('no_graph') : err;
    }
  }

  async entity(entityId: string, scope: SystemScope): Promise<EntityDetail | null> {
    const reply = await this.ask('entity', { entity_id: entityId, scope }, EntityReplyShape);
    return reply.entity as EntityDetail | null;
  }

  async neighbors(
    entityId: string,
    opts: { edgeType?: string; limit: number; scope: SystemScope },
  ): Promise<NeighborsReply> {
    const edge = opts.edgeType !== undefined ? { edge_type: opts.edgeType } : {};
    const call = { entity_id: entityId, ...edge, limit: opts.limit, scope: opts.scope };
    return (await this.ask('neighbors', call, ObjectReplyShape)) as unknown as NeighborsReply;
  }

  async findPath(
    sourceId: string,
    targetId: string,
    opts: { maxHops: number; scope: SystemScope },
  ): Promise<PathReply> {
    const call = {
      source_id: sourceId,
      target_id: targetId,
      max_hops: opts.maxHops,
      scope: opts.scope,
    };
    return (await this.ask('path', call, ObjectReplyShape)) as unknown as PathReply;
  }

  async statistics(scope: SystemScope): Promise<GraphStatistics> {
    return (await this.ask(
      'statistics',
      { scope },
      ObjectReplyShape,
    )) as unknown as GraphStatistics;
  }

  /** No process with the graph: no entities (search hits go without them, as in one process). */
  async entitiesOfRecords(
    records: readonly { system_id: string; id: string }[],
  ): Promise<Map<string, LinkedEntity[]>> {
    try {
      const call = { records: [...records] };
      const reply = await this.client.call(
        subjects.graphQuery('linked'),
        JSON.stringify(call),
        LinkedReplyShape,
      );
      return new Map(reply.linked);
    } catch (err) {
      if (err instanceof QueryCallError && err.code === 'no_responders') return new Map();
      throw err;
    }
  }
}
