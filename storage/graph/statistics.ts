import type { DuckDBConnection } from '@duckdb/node-api';
import { inScopeSql } from './scope';
import type { GraphStatistics, SystemScope, TypeCounts } from './types';

/**
 * Distinct entities and edges by type, overall (GROUPING(system_id) = 1) and per system.
 * An entity's type is part of its id, so the per-type counts add up to the totals.
 */
const countsSql = (table: string, type: string, distinct: string, scope: SystemScope) => `
  SELECT GROUPING(system_id)::INTEGER AS overall, system_id, ${type} AS type,
    count(DISTINCT ${distinct})::INTEGER AS n
  FROM ${table} WHERE ${inScopeSql(scope)}
  GROUP BY GROUPING SETS ((${type}), (system_id, ${type}))`;

const empty = (): TypeCounts => ({
  total_entities: 0,
  total_edges: 0,
  entity_types: {},
  edge_types: {},
});

export async function graphStatistics(
  conn: DuckDBConnection,
  scope: SystemScope,
): Promise<GraphStatistics> {
  const stats: GraphStatistics = { ...empty(), systems: {} };
  const countsOf = (row: Record<string, unknown>) => {
    if (Number(row.overall) === 1) return stats;
    const system = String(row.system_id);
    return (stats.systems[system] ??= empty());
  };
  const entities = await conn.runAndReadAll(
    countsSql('entity_statements', 'entity_type', 'entity_id', scope),
  );
  for (const row of entities.getRowObjectsJS()) {
    const counts = countsOf(row);
    counts.entity_types[String(row.type)] = Number(row.n);
    counts.total_entities += Number(row.n);
  }
  const edges = await conn.runAndReadAll(
    countsSql('relation_statements', 'relation_type', '(from_id, to_id)', scope),
  );
  for (const row of edges.getRowObjectsJS()) {
    const counts = countsOf(row);
    counts.edge_types[String(row.type)] = Number(row.n);
    counts.total_edges += Number(row.n);
  }
  return stats;
}
