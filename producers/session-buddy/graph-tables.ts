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
function isoOf(expression: string): string {
  return `strftime(CAST(${expression} AS TIMESTAMP), ${ISO_FORMAT})`;
}

function tsOf(alias: string, column: string): string {
  return `TRY_CAST(${alias}.${quote(column)} AS TIMESTAMPTZ)`;
}

export function quote(identifier: string): string {
  return `"${identifier.replace(/"/g, '""')}"`;
}

/** The first of the candidate columns the table has. */
function pick(columns: ReadonlySet<string>, candidates: readonly string[]): string | undefined {
  return candidates.find((c) => columns.has(c));
}

function text(alias: string, column: string | undefined): string {
  return column === undefined
    ? 'CAST(NULL AS VARCHAR)'
    : `CAST(${alias}.${quote(column)} AS VARCHAR)`;
}

function unmapped(table: string, missing: string): SkippedRow {
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

export function planMemoryGraph(columns: TableColumns): GraphPlan {
  const plan: GraphPlan = { queries: [], unmapped: [] };
  const entities = columns.get('memory_entities');
  const shape = entities ? memoryEntityShape(entities) : undefined;
  if (entities && shape) {
    if (typeof shape === 'string') plan.unmapped.push(unmapped('memory_entities', shape));
    else {
      plan.queries.push(memoryEntityGroups(shape));
      if (shape.memoryId) plan.queries.push(mentionQuery(shape));
      else plan.unmapped.push(unmapped('memory_entities', 'memory_id (no mentions)'));
    }
  }
  const relations = columns.get('memory_relationships');
  if (relations)
    addQuery(
      plan,
      'memory_relationships',
      memoryRelationQuery(relations, typeof shape === 'object' ? shape : undefined),
    );
  return plan;
}

function addQuery(plan: GraphPlan, table: string, query: GraphQuery | string): void {
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

function endColumns(resolved: boolean): string[] {
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

export interface MemoryEntityShape {
  name: string;
  type: string;
  memoryId: string | undefined;
  stamp: string | undefined;
}

/** The columns a memory_entities table maps from, or the one it lacks. */
function memoryEntityShape(c: ReadonlySet<string>): MemoryEntityShape | string {
  if (!c.has('id')) return 'id';
  const name = pick(c, ['entity_value', 'entity_name', 'name']);
  if (!name) return 'entity_value';
  const type = pick(c, ['entity_type', 'type']);
  if (!type) return 'entity_type';
  return {
    name,
    type,
    memoryId: pick(c, ['memory_id']),
    stamp: pick(c, ['timestamp', 'created_at', 'updated_at']),
  };
}

/** Rows that name an entity, trimmed (the row's id alias is m). */
function namedEntities(s: MemoryEntityShape): string {
  const stamp = s.stamp ? tsOf('m', s.stamp) : 'CAST(NULL AS TIMESTAMPTZ)';
  return `(SELECT CAST(m.id AS VARCHAR) AS id, trim(${text('m', s.name)}) AS name, trim(${text('m', s.type)}) AS entity_type, ${text('m', s.memoryId)} AS memory_id, ${stamp} AS ts FROM memory_entities AS m)`;
}

/** One entity per type and name (case and spacing aside), however many memories mention it. */
function memoryEntityGroups(s: MemoryEntityShape): GraphQuery {
  const key = `lower(entity_type), lower(regexp_replace(name, '\\s+', ' ', 'g'))`;
  return {
    kind: 'memoryEntity',
    table: 'memory_entities',
    sql: `SELECT min(name) AS name, min(entity_type) AS entity_type, ${isoOf('min(ts)')} AS created_at, ${isoOf('max(ts)')} AS updated_at FROM ${namedEntities(s)} WHERE name <> '' AND entity_type <> '' GROUP BY ${key} ORDER BY ${key}`,
  };
}

function mentionQuery(s: MemoryEntityShape): GraphQuery {
  return {
    kind: 'mention',
    table: 'memory_entities',
    sql: `SELECT id, name, entity_type, memory_id FROM ${namedEntities(s)} ORDER BY id NULLS LAST`,
  };
}

function memoryRelationQuery(
  c: ReadonlySet<string>,
  entities: MemoryEntityShape | undefined,
): GraphQuery | string {
  if (!c.has('id')) return 'id';
  const from = pick(c, ['from_entity_id', 'from_entity']);
  const to = pick(c, ['to_entity_id', 'to_entity']);
  const type = pick(c, ['relationship_type', 'relation_type', 'type']);
  if (!from || !to || !type)
    return !from ? 'from_entity_id' : !to ? 'to_entity_id' : 'relationship_type';
  const stamp = pick(c, ['timestamp', 'updated_at', 'created_at']);
  const joins = entities
    ? ` LEFT JOIN ${namedEntities(entities)} AS f ON f.id = ${text('r', from)} LEFT JOIN ${namedEntities(entities)} AS t ON t.id = ${text('r', to)}`
    : '';
  const select = [
    `CAST(r.id AS VARCHAR) AS id`,
    `${text('r', from)} AS from_ref`,
    `${text('r', to)} AS to_ref`,
    ...endColumns(entities !== undefined),
    `${text('r', type)} AS relation_type`,
    `${c.has('strength') ? 'TRY_CAST(r.strength AS DOUBLE)' : 'NULL'} AS strength`,
    `${stamp ? isoOf(tsOf('r', stamp)) : 'NULL'} AS updated_at`,
  ];
  return {
    kind: 'memoryRelation',
    table: 'memory_relationships',
    sql: `SELECT ${select.join(', ')} FROM memory_relationships AS r${joins} ORDER BY r.id NULLS LAST`,
  };
}
