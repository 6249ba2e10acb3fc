/** The scatter-gather row of bench:query (bench/query-scatter.ts): its fields and its print. */
import { subjects, writerToken } from '../streams/subjects';
import { fmt } from './lib';
import { p50, type TimedClient } from './query-scatter-probe';
import type { WriterSteps } from './query-scatter-writer';

/** The first stage, measured on the API side. */
export const ENCODE_STAGE = 'API: request encode (JSON + base64 vector)';

export interface ScatterRow {
  records: number;
  queries: number;
  /** BENCH_SCATTER_PIN, or empty */
  pinned: string;
  /** BENCH_SCATTER_NICE, or empty */
  nice: string;
  /** share of queries whose top-10 ids equal the in-process answer's */
  sameTop10: number;
  inProcess: { p50: number; p99: number };
  scatter: { p50: number; p99: number };
  stages: Record<string, number>;
}

/**
 * The writers' own steps (p50 over both writers' requests) and, call by call, what is left of
 * each call for NATS: its round trip less the writer's steps and the reply's decode (the n-th
 * call to a writer is its n-th request: one query at a time).
 */
export function addWriterSteps(row: ScatterRow, steps: WriterSteps[], client: TimedClient): void {
  const transport: number[] = [];
  const decode: number[] = [];
  for (const w of steps) {
    const calls = client.bySubject.get(subjects.query(writerToken(w.owner), 'search'));
    if (!calls || calls.total.length !== w.search.length)
      throw new Error(
        `writer ${w.owner}: ${w.search.length} requests, ${calls?.total.length} calls`,
      );
    decode.push(...calls.decode);
    calls.total.forEach((total, i) =>
      transport.push(total - calls.decode[i]! - w.parse[i]! - w.search[i]! - w.reply[i]!),
    );
  }
  const all = (f: (s: WriterSteps) => number[]) => steps.flatMap(f);
  const { [ENCODE_STAGE]: encode, ...measured } = row.stages;
  row.stages = {
    [ENCODE_STAGE]: encode!,
    'writer: request parse + checks (JSON, zod, vector)': p50(all((s) => s.parse)),
    'writer: search (half the shards)': p50(all((s) => s.search)),
    'writer: reply encode + respond': p50(all((s) => s.reply)),
    'API: reply decode + check': p50(decode),
    'NATS + wake-ups: a call less the above, call by call': p50(transport),
    'one writer call (request out to reply checked)': p50(client.calls),
    'the slower of the two calls of a query': p50(client.slower),
    ...measured,
  };
}

export function printScatterRow(row: ScatterRow): void {
  const ms = (x: number) => `${fmt(x, x < 0.1 ? 3 : 2)} ms`;
  const added = row.scatter.p50 - row.inProcess.p50;
  console.log(
    `\nscatter-gather over 2 writers, ${fmt(row.records)} records, ${fmt(row.queries)} queries, top-10${row.pinned ? `, pinned ${row.pinned}` : ''}${row.nice ? `, nice ${row.nice}` : ''}`,
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
