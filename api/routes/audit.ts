import type { FastifyInstance } from 'fastify';
import { AuditQuery, listAuditEvents } from '../../audit';
import { issuesFrom } from '../../infra';
import type { QueryDeps } from './deps';

/**
 * `GET /api/v1/audit?since=1h&principal=N&action=dlq&limit=100` (admin): the audit trail,
 * oldest first from `since` (default: the last 24 hours), at most 1,000 events a page.
 */
export function registerAuditRoute(app: FastifyInstance, deps: QueryDeps): void {
  app.get('/api/v1/audit', async (req, reply) => {
    const parsed = AuditQuery.safeParse(req.query ?? {});
    if (!parsed.success)
      return reply
        .code(400)
        .send({ error: 'invalid_request', issues: issuesFrom(parsed.error.issues) });
    const page = await listAuditEvents(deps.js, parsed.data);
    req.auditDetail = { count: page.events.length, ...auditFilters(parsed.data) };
    return { ...page, count: page.events.length };
  });
}

function auditFilters(q: AuditQuery) {
  return {
    since: q.since.toISOString(),
    ...(q.principal !== undefined && { principal: q.principal }),
    ...(q.action !== undefined && { action: q.action }),
  };
}
