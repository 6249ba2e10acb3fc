import type { SkippedRow } from './rows';

/**
 * SQL for the graph tables of Session-Buddy's files. Columns are looked up, never assumed:
 *   knowledge_graph.duckdb (adapters/knowledge_graph_adapter_oneiric.py):
 *     kg_entities(id, name, entity_type, observations VARCHAR[], properties JSON,
 *                 created_at, updated_at, metadata JSON, embedding)
 *     kg_relationships(id, from_entity, to_entity, relation_type, properties, created_at,
 *                      [updated_at], metadata) — ends are kg_entities ids
 *   reflection.duckdb v2 (memory/schema_v2.py):
 *     memory_entities(id, memory_id, entity_type, entity_value, confidence, timestamp)
 *     memory_relationships(id, from_entity_id, to_entity_id, relationship_type, strength, timestamp)
 * Every read is ordered, so the same file always yields the same statements in the same order.
 */

export type TableColumns = ReadonlyMap<string, ReadonlySet<string>>;

/** What a statement kind is read from; `kind` picks the row mapper. */
export interface GraphQuery {
  kind: 'kgEntity' | 'kgRelation' | 'memoryEntity' | 'mention' | 'memoryRelation';
  table: string;
  sql: string;
}

export type GraphPlan = { queries: GraphQuery[]; unmapped: SkippedRow[] };

const ISO_FORMAT = `'%Y-%m-%dT%H:%M:%S.%fZ'`;

/** Naive timestamps are UTC (the connection's TimeZone is UTC); rendered ISO with Z. */
export function isoOf(expression: string): string {
  return `strftime(CAST(${expression} AS TIMESTAMP), ${ISO_FORMAT})`;
}

export function tsOf(alias: string, column: string): string {
  return `TRY_CAST(${alias}.${quote(column)} AS TIMESTAMPTZ)`;
}

export function quote(identifier: string): string {
  return `"${identifier.replace(/"/g, '""')}"`;
}

/** The first of the candidate columns the table has. */
export function pick(
  columns: ReadonlySet<string>,
  candidates: readonly string[],
): string | undefined {
  return candidates.find((c) => columns.has(c));
}

export function text(alias: string, column: string | undefined): string {
  return column === undefined
    ? 'CAST(NULL AS VARCHAR)'
    : `CAST(${alias}.${quote(column)} AS VARCHAR)`;
}

export function unmapped(table: string, missing: string): SkippedRow {
  return { table, id: null, reason: `UNMAPPED_TABLE: no ${missing} column` };
}

export function planKnowledgeGraph(columns: TableColumns): GraphPlan {
  const plan: GraphPlan = { queries: [], unmapped: [] };
  const entities = columns.get('kg_entities');
  if (entities) addQuery(plan, 'kg_entities', kgEntityQuery(entities));
  const relations = columns.get('kg_relationships');
  if (relations) addQuery(plan, 'kg_relationships', kgRelationQuery(relations, entities));
  return plan;
}

export function addQuery(plan: GraphPlan, table: string, query: GraphQuery | string): void {
  if (typeof query === 'string') plan.unmapped.push(unmapped(table, query));
  else plan.queries.push(query);
}

function kgEntityQuery(c: ReadonlySet<string>): GraphQuery | string {
  for (const required of ['id', 'name', 'entity_type']) if (!c.has(required)) return required;
  const stamps = ['updated_at', 'created_at'].filter((s) => c.has(s)).map((s) => tsOf('e', s));
  const select = [
    `CAST(e.id AS VARCHAR) AS id`,
    `CAST(e.name AS VARCHAR) AS name`,
    `CAST(e.entity_type AS VARCHAR) AS entity_type`,
    c.has('observations')
      ? `TRY_CAST(e.observations AS VARCHAR[]) AS observations`
      : `NULL AS observations`,
    `${text('e', pick(c, ['properties']))} AS properties`,
    `${text('e', pick(c, ['metadata']))} AS metadata`,
    `${c.has('created_at') ? isoOf(tsOf('e', 'created_at')) : 'NULL'} AS created_at`,
    `${stamps.length > 0 ? isoOf(`COALESCE(${stamps.join(', ')})`) : 'NULL'} AS updated_at`,
  ];
  return {
    kind: 'kgEntity',
    table: 'kg_entities',
    sql: `SELECT ${select.join(', ')} FROM kg_entities AS e ORDER BY e.id NULLS LAST`,
  };
}

/** Ends are resolved to the entity's name and type by id, when kg_entities has them. */
function kgRelationQuery(
  c: ReadonlySet<string>,
  entities: ReadonlySet<string> | undefined,
): GraphQuery | string {
  for (const required of ['id', 'from_entity', 'to_entity', 'relation_type'])
    if (!c.has(required)) return required;
  const canResolve = ['id', 'name', 'entity_type'].every((n) => entities?.has(n));
  const lookup = `(SELECT CAST(id AS VARCHAR) AS id, min(CAST(name AS VARCHAR)) AS name, min(CAST(entity_type AS VARCHAR)) AS entity_type FROM kg_entities GROUP BY 1)`;
  const stamps = ['updated_at', 'created_at'].filter((s) => c.has(s)).map((s) => tsOf('r', s));
  const select = [
    `CAST(r.id AS VARCHAR) AS id`,
    `CAST(r.from_entity AS VARCHAR) AS from_ref`,
    `CAST(r.to_entity AS VARCHAR) AS to_ref`,
    ...endColumns(canResolve),
    `CAST(r.relation_type AS VARCHAR) AS relation_type`,
    `${text('r', pick(c, ['properties']))} AS properties`,
    `${text('r', pick(c, ['metadata']))} AS metadata`,
    `${c.has('created_at') ? isoOf(tsOf('r', 'created_at')) : 'NULL'} AS created_at`,
    `${stamps.length > 0 ? isoOf(`COALESCE(${stamps.join(', ')})`) : 'NULL'} AS updated_at`,
  ];
  const joins = canResolve
    ? ` LEFT JOIN ${lookup} AS f ON f.id = CAST(r.from_entity AS VARCHAR) LEFT JOIN ${lookup} AS t ON t.id = CAST(r.to_entity AS VARCHAR)`
    : '';
  return {
    kind: 'kgRelation',
    table: 'kg_relationships',
    sql: `SELECT ${select.join(', ')} FROM kg_relationships AS r${joins} ORDER BY r.id NULLS LAST`,
  };
}

export function endColumns(resolved: boolean): string[] {
  if (!resolved)
    return ['from_name', 'from_type', 'to_name', 'to_type'].map(
      (n) => `CAST(NULL AS VARCHAR) AS ${n}`,
    );
  return [
    `f.name AS from_name`,
    `f.entity_type AS from_type`,
    `t.name AS to_name`,
    `t.entity_type AS to_type`,
  ];
}
