import type { FastifyInstance } from 'fastify';
import { registerAgingRoutes } from './aging';
import { registerAuditRoute } from './audit';
import type { QueryDeps } from './deps';
import { registerDlqRoutes } from './dlq';
import { registerGraphRoutes } from './graph';
import { registerMemoryRoutes } from './memories';
import { registerOpenApiRoute } from './openapi';
import { registerStatusRoute } from './status';
import { registerSystemRoutes } from './systems';
import { registerTokenRoutes } from './tokens';

export type { QueryDeps } from './deps';

/** The read side of the query service besides search: memories, systems, graph, status, OpenAPI. */
export function registerQueryRoutes(app: FastifyInstance, deps: QueryDeps): void {
  registerMemoryRoutes(app, deps);
  registerSystemRoutes(app, deps);
  registerGraphRoutes(app, { graph: deps.query.graph });
  registerStatusRoute(app, deps);
  registerOpenApiRoute(app);
  registerTokenRoutes(app, deps);
  registerDlqRoutes(app, deps);
  registerAgingRoutes(app, deps);
  registerAuditRoute(app, deps);
}
