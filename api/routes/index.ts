import type { FastifyInstance } from 'fastify';
import { registerAgingRoutes } from './aging';
import { registerAuditRoute } from './audit';
import { registerCacheRoute } from './cache';
import { registerConsoleRoutes } from './console';
import type { QueryDeps } from './deps';
import { registerDlqRoutes } from './dlq';
import { registerGraphRoutes } from './graph';
import { registerMemoryRoutes } from './memories';
import { registerOpenApiRoute } from './openapi';
import { registerStatusRoute } from './status';
import { registerSystemRoutes } from './systems';
import { registerTiersRoute } from './tiers';
import { registerTokenRoutes } from './tokens';
import { registerWhoAmIRoute } from './whoami';

export type { QueryDeps } from './deps';

/**
 * The read side of the query service besides search (memories, systems, tiers, graph, status,
 * cache, OpenAPI), the operations routes, and the operator console that reads them.
 */
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
  registerWhoAmIRoute(app);
  registerTiersRoute(app, deps);
  registerCacheRoute(app, deps);
  registerConsoleRoutes(app);
}
