/**
 * Search benchmark over real hot records: in-process latency and recall, then HTTP throughput.
 *
 *   npm run bench:query                        # 1,000,000 records (the first run builds ~30 min)
 *   BENCH_VECTORS=100000 npm run bench:query
 *   BENCH_EF=32,48,64,96,128 BENCH_RUNS=3 BENCH_VECTORS=100000 npm run bench:query
 *
 * N clustered 384-d unit vectors (seeded, bench/clustered.ts) become hot records of SYSTEMS
 * systems, written through HotStore.writeShard like the shard writers do. The data set (DuckDB
 * shard files and the saved index) is built once under .bench/query/, keyed by N and the seed,
 * and reopened by later runs (the index is rebuilt from the shards when AKOSHA_INDEX_QUANTIZATION
 * differs from the saved file's). For each ef of BENCH_EF (`auto` or a number; default: AKOSHA_INDEX_EF_SEARCH's),
 * the store is opened with that ef, then:
 *  1. SearchService.searchVector (no cache, no warm or cold tier): top-10 p50/p99 over QUERIES
 *     queries from the same clusters, recall@10 on RECALL_QUERIES of them against exact brute
 *     force over all N vectors; the same with a system_id filter.
 *  2. the API's HTTP server on 127.0.0.1 in this process (cache off), loaded by wrk with
 *     BENCH_TEXTS distinct query bodies rotated per request (autocannon in a child process
 *     where wrk is missing, or with BENCH_LOAD_TOOL=autocannon); this process on core 0 and
 *     the load generator on core 1 (BENCH_PIN=0: not pinned).
 * At the configured ef (or the first of BENCH_EF), also: where the search's time goes, the
 * per-request stages around it (bench/query-profile.ts), and the HTTP variants
 * (bench/query-variants.ts). Last, scatter-gather over 2 writer processes against one process
 * on the same (smaller) data, BENCH_SCATTER_VECTORS (100,000; 0 skips it): bench/query-scatter.ts.
 * Then search while ingesting, against `akosha start` with BENCH_INGEST_HOT records (20,000; 0
 * skips it): bench/query-under-ingest.ts.
 *
 * Env: BENCH_VECTORS (1,000,000), BENCH_QUERIES (1000), BENCH_RECALL_QUERIES (100),
 * BENCH_TEXTS (20,000), BENCH_EF, BENCH_CONNECTIONS (32), BENCH_DURATION_S (15),
 * BENCH_WARMUP_S (3), BENCH_RUNS (1: runs per HTTP measurement, the median kept), BENCH_PIN.
 */
import { join } from 'node:path';
import { SearchService } from '../api/search';
import { HashingEmbedder } from '../embedding/hashing-embedder';
import { loadConfig } from '../infra/config';
import { clustered, DIM } from './clustered';
import { envInt, fmt } from './lib';
import { ensureDataSet, openDataSet, rootOf, rssLine, type DataSetSpec } from './query-data';
import {
  describePlan,
  failuresOf,
  httpPlan,
  loadLine,
  measureLoad,
  pinned,
  startBenchServer,
  type HttpPlan,
  type MeasuredLoad,
} from './query-http';
import {
  breakdown,
  groundTruth,
  inProcess,
  K,
  ms,
  printInProcess,
  SYSTEMS,
  type CaseRow,
} from './query-inprocess';
import { printStages, profileStages } from './query-profile';
import { printScatterRow, scatterBench } from './query-scatter';
import { printUnderIngest, underIngestBench } from './query-under-ingest';
import { httpVariants, printVariants } from './query-variants';
import { efForSize } from '../storage/vector-index/usearch-index';

const N = envInt('BENCH_VECTORS', 1_000_000);
const QUERIES = envInt('BENCH_QUERIES', 1000);
const PLAN = {
  queries: QUERIES,
  recallQueries: Math.min(QUERIES, envInt('BENCH_RECALL_QUERIES', 100)),
};
const TEXTS = envInt('BENCH_TEXTS', 20_000);
const CLUSTERS = Math.max(100, Math.floor(N / 100));
const SEED = 1;
/** the goals: 1,000 searches/s over HTTP at 1M records, 2,000 at 100k */
const GOAL_PER_S = N > 100_000 ? 1000 : 2000;
const CONFIGURED_EF = loadConfig().writer.graph.expansionSearch;

/** ef at query time: a number, or `auto` (efForSize of the index's points) */
type Ef = number | 'auto';

function efList(): Ef[] {
  const text = process.env.BENCH_EF;
  if (!text) return [CONFIGURED_EF];
  const efs = text.split(',').map((x): Ef => (x.trim() === 'auto' ? 'auto' : Number(x.trim())));
  if (efs.some((ef) => ef !== 'auto' && (!Number.isInteger(ef) || ef < 10)))
    throw new Error('BENCH_EF: auto or integers ≥ 10');
  return efs;
}

/** `auto (32)`: the ef an auto ef gives N records */
const efLabel = (ef: Ef) => (ef === 'auto' ? `auto (${efForSize(N)})` : String(ef));

/** The exact top-10s of the queries (seed SEED + 1), kept beside the data set. */
const truthFile = (spec: DataSetSpec) => join(rootOf(spec), `truth-q${SEED + 1}.json`);

/** Distinct short query texts built from a small vocabulary. */
function queryTexts(count: number): string[] {
  const words =
    'stream shard writer duckdb vector index replay ack latency cache memory session'.split(' ');
  return Array.from({ length: count }, (_, i) => {
    const w = (k: number) => words[(i * (k + 3) + k * 5) % words.length]!;
    return `${w(0)} ${w(1)} ${w(2)} ${i}`;
  });
}

interface EfRow {
  ef: Ef;
  top: CaseRow;
  filtered: CaseRow;
  http: MeasuredLoad;
}

interface Run {
  spec: DataSetSpec;
  vectors: Float32Array;
  queries: Float32Array;
  truth: number[][][];
  plan: HttpPlan;
  texts: string[];
}

/** One ef: in-process latency and recall, HTTP throughput; with `detail`, the breakdowns. */
async function measureEf(run: Run, ef: Ef, detail: boolean): Promise<EfRow> {
  const { store, buildNote, openMs } = await openDataSet(run.spec, run.vectors, ef);
  try {
    console.log(
      `\n## ef ${efLabel(ef)}\ndata set: ${buildNote}; opened in ${fmt(openMs / 1000, 1)} s`,
    );
    const embedder = new HashingEmbedder();
    const search = new SearchService(store, embedder, { partTimeoutMs: 2000 });
    const [top, filtered] = await inProcess(search, run.queries, run.truth, PLAN);
    // the index's resident part has loaded by now (in the background since the open)
    console.log(`  ${rssLine('after the in-process searches', run.vectors)}`);
    if (detail) {
      printInProcess([top!, filtered!], await breakdown(store, run.queries), PLAN);
      const texts = run.texts.slice(0, 2000);
      printStages(await profileStages(store, embedder, search, texts), texts.length);
    }
    const bodies = run.texts.map((query) => JSON.stringify({ query, limit: K }));
    const http = await pinned(run.plan, async () => {
      const server = await startBenchServer({ search, embedder });
      const job = {
        url: server.url,
        connections: run.plan.connections,
        durationS: run.plan.durationS,
      };
      try {
        return await measureLoad(run.plan, { ...job, bodies, expect: '"partial":false' });
      } finally {
        await server.close();
      }
    });
    console.log(`HTTP search (cache off): ${loadLine(http)}`);
    if (detail) {
      const rows = await pinned(run.plan, () =>
        httpVariants({ store, embedder, plan: run.plan, bodies }),
      );
      printVariants(rows, run.texts.length);
    }
    return { ef, top: top!, filtered: filtered!, http };
  } finally {
    await store.close();
  }
}

function printEfTable(rows: EfRow[]): void {
  console.log(
    `\n| ef | recall@10 | p50 in process | p99 in process | CPU per search in process | recall@10, system_id filter | searches/s over HTTP | HTTP p99 | server CPU per request |`,
  );
  console.log('| --- | --- | --- | --- | --- | --- | --- | --- | --- |');
  for (const r of rows)
    console.log(
      `| ${efLabel(r.ef)} | ${fmt(r.top.recall, 3)} | ${ms(r.top.p50)} | ${ms(r.top.p99)} | ${fmt(r.top.cpuUs)} µs | ` +
        `${fmt(r.filtered.recall, 3)} | ${fmt(r.http.perSecond)} | ${fmt(r.http.p99, 1)} ms | ` +
        `${fmt(r.http.serverUsPerRequest)} µs |`,
    );
}

function printTargets(row: EfRow): void {
  const { top, http } = row;
  const failures = failuresOf(http);
  const targets = [
    ['top-10 p99 ≤ 20 ms', ms(top.p99), top.p99 <= 20],
    ['recall@10 ≥ 0.95', fmt(top.recall, 3), top.recall >= 0.95],
    [
      `≥ ${fmt(GOAL_PER_S)} searches/s over HTTP`,
      `${fmt(http.perSecond)}/s, ${failures} failed`,
      http.perSecond >= GOAL_PER_S && failures === 0,
    ],
  ] as const;
  console.log(`\n| target (${fmt(N)} records, ef ${efLabel(row.ef)}) | measured | met |`);
  console.log('| --- | --- | --- |');
  for (const [name, value, met] of targets)
    console.log(`| ${name} | ${value} | ${met ? 'met' : 'NOT met'} |`);
}

async function main(): Promise<void> {
  console.log(
    `records ${fmt(N)} × ${DIM} in ${fmt(CLUSTERS)} clusters, ${fmt(SYSTEMS)} systems; seed ${SEED}`,
  );
  const vectors = clustered(N, CLUSTERS, SEED, SEED);
  const queries = clustered(QUERIES, CLUSTERS, SEED + 1, SEED);
  const plan = httpPlan();
  const texts = queryTexts(TEXTS);
  console.log(`HTTP: POST /api/v1/search, ${describePlan(plan)}`);
  const spec = { n: N, clusters: CLUSTERS, systems: SYSTEMS, seed: SEED };
  await ensureDataSet(spec, vectors);
  const run: Run = {
    spec,
    vectors,
    queries,
    truth: groundTruth(vectors, queries, PLAN.recallQueries, truthFile(spec)),
    plan,
    texts,
  };
  const efs = efList();
  const detailed = efs.includes(CONFIGURED_EF) ? CONFIGURED_EF : efs[0]!;
  const rows: EfRow[] = [];
  for (const ef of efs) rows.push(await measureEf(run, ef, ef === detailed));
  console.log(`\nby ef (the configured one: ${efLabel(CONFIGURED_EF)})`);
  printEfTable(rows);
  printTargets(rows.find((r) => r.ef === detailed)!);
  if (envInt('BENCH_SCATTER_VECTORS', 100_000) > 0) printScatterRow(await scatterBench());
  if (envInt('BENCH_INGEST_HOT', 20_000) > 0) printUnderIngest(await underIngestBench());
}

main().then(
  // something (prom-client's default metrics) keeps the loop alive after the store is closed
  () => process.exit(0),
  (err: unknown) => {
    console.error(err);
    process.exit(1);
  },
);
