/** The scatter-gather row of bench:query (bench/query-scatter.ts): its fields and its print. */
import { fmt } from './lib';
import type { WriterSteps } from './query-scatter-writer';

export interface ScatterRow {
  records: number;
  queries: number;
  /** BENCH_SCATTER_PIN, or empty */
  pinned: string;
  /** share of queries whose top-10 ids equal the in-process answer's */
  sameTop10: number;
  inProcess: { p50: number; p99: number };
  scatter: { p50: number; p99: number };
  stages: Record<string, number>;
}

/** The writers' own steps (the slower writer's p50 of each), and what is left for the transport. */
export function addWriterSteps(row: ScatterRow, steps: WriterSteps[]): void {
  const max = (f: (s: WriterSteps) => number) => Math.max(...steps.map(f));
  const writer = {
    parse: max((s) => s.parse),
    search: max((s) => s.search),
    reply: max((s) => s.reply),
  };
  row.stages['writer: request parse + checks (JSON, zod, vector)'] = writer.parse;
  row.stages['writer: search (half the shards)'] = writer.search;
  row.stages['writer: reply encode + respond'] = writer.reply;
  const apiDecode = row.stages['API: reply decode + check']!;
  const call = row.stages['one writer call (request out to reply checked)']!;
  row.stages['one call less the above (transport, wake-ups, queueing)'] =
    call - apiDecode - writer.parse - writer.search - writer.reply;
}

export function printScatterRow(row: ScatterRow): void {
  const ms = (x: number) => `${fmt(x, x < 0.1 ? 3 : 2)} ms`;
  const added = row.scatter.p50 - row.inProcess.p50;
  console.log(
    `\nscatter-gather over 2 writers, ${fmt(row.records)} records, ${fmt(row.queries)} queries, top-10${row.pinned ? `, pinned ${row.pinned}` : ''}`,
  );
  console.log('| path | p50 | p99 | p50 added | goal |');
  console.log('| --- | --- | --- | --- | --- |');
  console.log(
    `| in process, one store | ${ms(row.inProcess.p50)} | ${ms(row.inProcess.p99)} | | |`,
  );
  console.log(
    `| scatter-gather over 2 writers | ${ms(row.scatter.p50)} | ${ms(row.scatter.p99)} | ${ms(added)} | ≤ 1.5 ms: ${added <= 1.5 ? 'met' : 'NOT met'} |`,
  );
  console.log(`same top-10 as in process: ${fmt(row.sameTop10 * 100, 1)} % of queries`);
  console.log('per stage (p50):');
  for (const [stage, t] of Object.entries(row.stages)) console.log(`  ${stage}: ${ms(t)}`);
}
