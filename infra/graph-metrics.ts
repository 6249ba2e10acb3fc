import { Counter, type Registry } from 'prom-client';

/**
 * The graph writer (consumers/graph.ts). Its messages count in akosha_ingest_messages_total
 * (stage graph), its dead letters in akosha_dead_letters_total (stage graph).
 */
export function graphMetrics(r: Registry[]) {
  return {
    graphStatements: new Counter({
      name: 'akosha_graph_statements_total',
      help: 'Graph statements applied, by kind (entity, relation, mention) and outcome (written, unchanged).',
      labelNames: ['kind', 'outcome'] as const,
      registers: r,
    }),
  };
}
