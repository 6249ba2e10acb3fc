import type { FastifyInstance, FastifyReply, FastifyRequest } from 'fastify';
import { duringRead } from '../../infra';
import { searchAuditDetail } from '../../audit';
import type { GraphQueries } from '../../storage';
import { withLinkedEntities } from '../graph/search-entities';
import { replyForbidden, routeOf } from '../auth-denials';
import { inScope, scopeOf } from '../scope';
import type { Searcher } from '../query-backend';
import { SearchRequest } from '../search';
import { invalidRequest, noShards } from './replies';

export interface SearchRouteDeps {
  /** absent with no store: the route answers 503 */
  search?: Searcher | undefined;
  /** hits of records that mention entities carry them; absent: no `entities` */
  graph?: GraphQueries | undefined;
  /** AKOSHA_AUDIT_QUERIES: search events carry the query text */
  auditQueries?: boolean | undefined;
}

/** `POST /api/v1/search`, within the caller's system scope; the audit event gets the hit count. */
export function registerSearchRoute(app: FastifyInstance, deps: SearchRouteDeps): void {
  // bulk work gives way until the reply is written, linked entities included
  app.post('/api/v1/search', (req, reply) => duringRead(() => answerSearch(req, reply, deps)));
}

async function answerSearch(req: FastifyRequest, reply: FastifyReply, deps: SearchRouteDeps) {
  const parsed = SearchRequest.safeParse(req.body ?? {});
  if (!parsed.success) return invalidRequest(reply, parsed.error.issues);
  if (!deps.search) return noShards(reply);
  const scope = scopeOf(req);
  const system = parsed.data.system_id;
  if (system !== undefined && !inScope(scope, system))
    return replyForbidden(req, reply, { route: routeOf(req), need: 'reader', system });
  const found = await deps.search.search(parsed.data, scope);
  const { project, kind, since, until } = parsed.data;
  req.auditDetail = searchAuditDetail(
    { ...parsed.data, filters: { project, kind, since, until } },
    found.results.length,
    scope,
    deps.auditQueries === true,
  );
  return withLinkedEntities(found, deps.graph, req.log);
}
