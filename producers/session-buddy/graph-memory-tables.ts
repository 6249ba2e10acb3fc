import {
  addQuery,
  endColumns,
  isoOf,
  pick,
  text,
  tsOf,
  unmapped,
  type GraphPlan,
  type GraphQuery,
  type TableColumns,
} from './graph-tables';

/**
 * The v2 memory tables of reflection.duckdb (memory/schema_v2.py):
 *   memory_entities(id, memory_id, entity_type, entity_value, confidence, timestamp)
 *   memory_relationships(id, from_entity_id, to_entity_id, relationship_type, strength, timestamp)
 * Columns are looked up, with the other names such tables use as fallbacks.
 */
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
