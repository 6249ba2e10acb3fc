import type { DuckDBConnection } from '@duckdb/node-api';

/** Ends sent without a type that are new (id still null) or whose name an entity change touched. */
const pending = (system: string, nameKey: string, givenType: string, id: string, table: string) =>
  `SELECT ${system} AS system_id, ${nameKey} AS name_key FROM ${table}
   WHERE ${givenType} = '' AND (${id} IS NULL OR ${nameKey} IN (SELECT name_key FROM temp.touched_names))`;

/**
 * The entity an untyped name stands for: among the entity statements of that name, this
 * system's first, then the most recently updated (the entity id breaks a tie); with none,
 * `entity:<name>`. A pure function of the statements held, so apply order does not matter.
 */
const RESOLVE = `CREATE OR REPLACE TEMP TABLE resolved_ends AS
  WITH ends AS (
    ${pending('system_id', 'from_name_key', 'from_given_type', 'from_id', 'relation_statements')}
    UNION ${pending('system_id', 'to_name_key', 'to_given_type', 'to_id', 'relation_statements')}
    UNION ${pending('system_id', 'name_key', 'given_type', 'entity_id', 'mentions')}
  )
  SELECT q.system_id, q.name_key,
    coalesce(arg_max(e.entity_id, (e.system_id = q.system_id, e.updated_at, e.entity_id)),
      'entity:' || q.name_key) AS entity_id,
    coalesce(arg_max(e.entity_type, (e.system_id = q.system_id, e.updated_at, e.entity_id)),
      'entity') AS entity_type
  FROM ends q LEFT JOIN entity_statements e ON e.name_key = q.name_key
  GROUP BY q.system_id, q.name_key`;

const update = (table: string, id: string, type: string, nameKey: string, givenType: string) =>
  `UPDATE ${table} SET ${id} = v.entity_id, ${type} = v.entity_type FROM temp.resolved_ends v
   WHERE ${table}.${givenType} = '' AND v.system_id = ${table}.system_id
     AND v.name_key = ${table}.${nameKey}
     AND (${table}.${id} IS DISTINCT FROM v.entity_id OR ${table}.${type} IS DISTINCT FROM v.entity_type)`;

/** Resolves new untyped ends and re-resolves those whose name gained or lost an entity. */
export async function resolveUntypedEnds(conn: DuckDBConnection): Promise<void> {
  await conn.run(RESOLVE);
  await conn.run(
    update('relation_statements', 'from_id', 'from_type', 'from_name_key', 'from_given_type'),
  );
  await conn.run(update('relation_statements', 'to_id', 'to_type', 'to_name_key', 'to_given_type'));
  await conn.run(update('mentions', 'entity_id', 'entity_type', 'name_key', 'given_type'));
}
