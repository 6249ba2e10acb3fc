/**
 * The in-process half of bench/query.ts: SearchService.searchVector latency and recall@10
 * against exact brute force, and where an unfiltered search's time goes.
 */
import { existsSync, readFileSync, writeFileSync } from 'node:fs';
import { performance } from 'node:perf_hooks';
import type { SearchRequest, SearchService } from '../api/search';
import { shardOf } from '../schemas/ids';
import type { HotStore } from '../storage/hot-store';
import type { HotIndexHit } from '../storage/hot-index';
import { bruteForce, DIM } from './clustered';
import { fmt, percentile } from './lib';
import { systemOf } from './query-data';

export const K = 10;
export const SYSTEMS = 1000;

export interface InProcessPlan {
  queries: number;
  recallQueries: number;
}

export const stats = (times: number[]) => {
  const sorted = [...times].sort((a, b) => a - b);
  return { p50: percentile(sorted, 50), p99: percentile(sorted, 99) };
};
export const ms = (x: number) => `${fmt(x, 2)} ms`;

interface Case {
  name: string;
  /** the system a query of this case is limited to */
  system?: (q: number) => string;
}
const CASES: Case[] = [
  { name: 'top-10' },
  { name: 'top-10, system_id filter', system: (q) => systemOf(q, SYSTEMS) },
];

export interface CaseRow {
  name: string;
  p50: number;
  p99: number;
  recall: number;
  partial: number;
  /** this process's CPU per search (µs): steadier than the latencies on a shared machine */
  cpuUs: number;
}

const queryOf = (queries: Float32Array, i: number) => queries.subarray(i * DIM, (i + 1) * DIM);

/** Latency of SearchService.searchVector per case, and recall@10 against `truth`. */
export async function inProcess(
  search: SearchService,
  queries: Float32Array,
  truth: number[][][],
  plan: InProcessPlan,
): Promise<CaseRow[]> {
  const request = (c: Case, i: number): SearchRequest => ({
    query: 'bench',
    limit: K,
    ...(c.system && { system_id: c.system(i) }),
  });
  const rows = [];
  for (const [c, kase] of CASES.entries()) {
    for (let i = 0; i < 100; i++) await search.searchVector(queryOf(queries, i), request(kase, i));
    const times: number[] = [];
    let found = 0;
    let partial = 0;
    const cpu = process.cpuUsage();
    for (let i = 0; i < plan.queries; i++) {
      const t0 = performance.now();
      const res = await search.searchVector(queryOf(queries, i), request(kase, i));
      times.push(performance.now() - t0);
      if (res.partial) partial++;
      if (i < plan.recallQueries) {
        const want = new Set(truth[i]![c]!.map((p) => `rec-${p}`));
        found += res.results.filter((h) => want.has(h.id)).length;
      }
    }
    const used = process.cpuUsage(cpu);
    const cpuUs = (used.user + used.system) / plan.queries;
    const recall = found / (plan.recallQueries * K);
    rows.push({ name: kase.name, ...stats(times), recall, partial, cpuUs });
  }
  return rows;
}

export interface Breakdown {
  index: ReturnType<typeof stats>;
  rows: ReturnType<typeof stats>;
  shardsPerQuery: number;
}

/** Where an unfiltered search's time goes: the index search, then the shards' hit rows. */
export async function breakdown(store: HotStore, queries: Float32Array): Promise<Breakdown> {
  const count = queries.length / DIM;
  const index: number[] = [];
  const rows: number[] = [];
  let shards = 0;
  for (let i = 0; i < count; i++) {
    const t0 = performance.now();
    const hits = await store.searchIndex(queryOf(queries, i), { limit: K });
    const t1 = performance.now();
    const byShard = new Map<number, HotIndexHit[]>();
    for (const h of hits)
      byShard.set(shardOf(h.system_id), [...(byShard.get(shardOf(h.system_id)) ?? []), h]);
    await Promise.all([...byShard].map(([shard, list]) => store.hitRows(shard, list)));
    index.push(t1 - t0);
    rows.push(performance.now() - t1);
    shards += byShard.size;
  }
  return { index: stats(index), rows: stats(rows), shardsPerQuery: shards / count };
}

/**
 * Exact top-10 of the first `recallQueries` queries, per case. Kept in `file` (beside the
 * data set, keyed by the query seed): at 1M records it costs a second per query.
 */
export function groundTruth(
  vectors: Float32Array,
  queries: Float32Array,
  recallQueries: number,
  file: string,
): number[][][] {
  const kept = existsSync(file) ? (JSON.parse(readFileSync(file, 'utf8')) as number[][][]) : [];
  if (kept.length >= recallQueries) return kept.slice(0, recallQueries);
  const t = performance.now();
  const truth = Array.from(
    { length: recallQueries },
    (_, i) =>
      kept[i] ??
      bruteForce(
        vectors,
        queryOf(queries, i),
        K,
        CASES.map((c) => (c.system ? (p: number) => p % SYSTEMS === i % SYSTEMS : () => true)),
      ),
  );
  writeFileSync(file, JSON.stringify(truth));
  const computed = recallQueries - kept.length;
  console.log(`brute force: ${computed} queries in ${fmt((performance.now() - t) / 1000, 1)} s`);
  return truth;
}

export function printInProcess(rows: CaseRow[], parts: Breakdown, plan: InProcessPlan): void {
  console.log(
    `\nin process: SearchService.searchVector, ${fmt(plan.queries)} queries per row, recall@10 over ${plan.recallQueries}`,
  );
  console.log('| query | p50 | p99 | CPU per search | recall@10 | partial |');
  console.log('| --- | --- | --- | --- | --- | --- |');
  for (const r of rows)
    console.log(
      `| ${r.name} | ${ms(r.p50)} | ${ms(r.p99)} | ${fmt(r.cpuUs)} µs | ${fmt(r.recall, 3)} | ${r.partial} |`,
    );
  console.log(
    `where a top-10 search goes: index search p50 ${ms(parts.index.p50)} p99 ${ms(parts.index.p99)}; ` +
      `hit rows (${fmt(parts.shardsPerQuery, 1)} shards in parallel) p50 ${ms(parts.rows.p50)} p99 ${ms(parts.rows.p99)}`,
  );
}
