/** What a search's audit event says of it; the query text only when asked for. */
export interface SearchAuditInput {
  query: string;
  limit?: number | undefined;
  threshold?: number | undefined;
  system_id?: string | undefined;
  /** project, kind, since, until (HTTP) or the MCP `filters` */
  filters?: Record<string, unknown> | undefined;
}

/** Scope, filters and hit count of a search (AKOSHA_AUDIT_QUERIES adds the query text). */
export function searchAuditDetail(
  search: SearchAuditInput,
  hits: number,
  scope: '*' | readonly string[],
  withQuery: boolean,
): Record<string, unknown> {
  const filters = Object.fromEntries(
    Object.entries({ ...search.filters, system_id: search.system_id }).filter(
      ([, v]) => v !== undefined,
    ),
  );
  return {
    scope,
    filters,
    limit: search.limit,
    ...(search.threshold !== undefined && { threshold: search.threshold }),
    hits,
    ...(withQuery && { query: search.query }),
  };
}
