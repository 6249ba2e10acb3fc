/**
 * Vector-index benchmark: top-10 latency and recall@10 of the embedded usearch index.
 *
 *   npx tsx bench/query-index.ts                 # 100,000 vectors
 *   BENCH_VECTORS=1000000 npx tsx bench/query-index.ts
 *
 * N clustered, L2-normalised 384-d vectors (seeded: every run regenerates the same ones). The
 * index is built once and kept under .bench/query-index/, keyed by N and the build parameters;
 * later runs open it (sha256-verified) instead of building. Then, for each expansion_search
 * value, 1,000 queries (fresh points drawn from the same clusters) measure top-10 latency
 * through the VectorIndex interface; recall@10 is measured on the first BENCH_RECALL_QUERIES
 * (100) of them against exact brute force computed in this run with a Float32 dot-product loop
 * over all N vectors (exact cosine: the vectors are unit length). Filtered queries are measured
 * too: system_id (1 % of the points: ranked exactly over the candidates) and project (10 %:
 * over-fetch from the graph).
 *
 * Env: BENCH_VECTORS, BENCH_QUERIES (1000), BENCH_RECALL_QUERIES (100), BENCH_EF ("32,64,128"),
 * BENCH_CONNECTIVITY (16), BENCH_EXPANSION_ADD (128), BENCH_THREADS (0 = every core),
 * BENCH_OVERFETCH (2) and BENCH_EXACT_THRESHOLD (2048): the filtered-search options.
 */
import { mkdirSync } from 'node:fs';
import { join } from 'node:path';
import { performance } from 'node:perf_hooks';
import { bruteForce, clustered, DIM } from './clustered';
import { envInt, fmt, percentile } from './lib';
import type { IndexPoint, SearchFilter } from '../storage/vector-index/types';
import { IndexFileError, UsearchIndex } from '../storage/vector-index/usearch-index';
import { fileSize } from '../storage/vector-index/usearch-sidecar';

const N = envInt('BENCH_VECTORS', 100_000);
const QUERIES = envInt('BENCH_QUERIES', 1000);
const RECALL_QUERIES = Math.min(QUERIES, envInt('BENCH_RECALL_QUERIES', 100));
const EFS = (process.env.BENCH_EF ?? '32,64,128').split(',').map(Number);
const M = envInt('BENCH_CONNECTIVITY', 16);
const EFC = envInt('BENCH_EXPANSION_ADD', 128);
const THREADS = envInt('BENCH_THREADS', 0);
const OVER_FETCH = envInt('BENCH_OVERFETCH', 2);
const EXACT_THRESHOLD = envInt('BENCH_EXACT_THRESHOLD', 2048);
const CLUSTERS = Math.max(100, Math.floor(N / 100));
const SEED = 1;
const SYSTEMS = 100;
const PROJECTS = 10;
const K = 10;

const payloadOf = (i: number): IndexPoint['payload'] => ({
  system_id: `sys-${i % SYSTEMS}`,
  id: `rec-${i}`,
  kind: i % 2 === 0 ? 'conversation' : 'reflection',
  project: `p${Math.floor(i / SYSTEMS) % PROJECTS}`,
  timestamp: new Date(Date.UTC(2026, 0, 1) + i * 1000).toISOString(),
  shard: 0,
  tier: 'hot',
});

async function build(path: string, vectors: Float32Array): Promise<{ ms: number }> {
  const index = UsearchIndex.create({ path, connectivity: M, expansionAdd: EFC, threads: THREADS });
  const started = performance.now();
  const batch = 10_000;
  for (let from = 0; from < N; from += batch) {
    const points: IndexPoint[] = [];
    for (let i = from; i < Math.min(N, from + batch); i++) {
      const payload = payloadOf(i);
      points.push({
        key: { system_id: payload.system_id, id: payload.id },
        vector: vectors.subarray(i * DIM, (i + 1) * DIM),
        payload,
      });
    }
    await index.upsert(points);
    process.stdout.write(`\r  built ${fmt(Math.min(N, from + batch))} / ${fmt(N)}`);
  }
  const ms = performance.now() - started;
  const saveStart = performance.now();
  await index.save();
  process.stdout.write(`\n  saved in ${fmt(performance.now() - saveStart)} ms\n`);
  await index.close();
  return { ms };
}

interface Case {
  name: string;
  filter: SearchFilter | undefined;
  pass: (i: number) => boolean;
}

const CASES: Case[] = [
  { name: 'no filter', filter: undefined, pass: () => true },
  { name: 'system_id (1 %)', filter: { system_id: 'sys-7' }, pass: (i) => i % SYSTEMS === 7 },
  {
    name: 'project (10 %)',
    filter: { project: 'p3' },
    pass: (i) => Math.floor(i / SYSTEMS) % PROJECTS === 3,
  },
];

async function measure(path: string, ef: number, queries: Float32Array, truth: string[][][]) {
  const openStart = performance.now();
  const index = await UsearchIndex.open(path, {
    expansionSearch: ef,
    mode: 'view',
    overFetch: OVER_FETCH,
    exactThreshold: EXACT_THRESHOLD,
  });
  const openMs = performance.now() - openStart;
  const rows = [];
  for (const [c, kase] of CASES.entries()) {
    const q = (i: number) => queries.subarray(i * DIM, (i + 1) * DIM);
    for (let i = 0; i < 50; i++) await index.search(q(i), { limit: K, filter: kase.filter });
    const times: number[] = [];
    let found = 0;
    let wanted = 0;
    for (let i = 0; i < QUERIES; i++) {
      const t0 = performance.now();
      const hits = await index.search(q(i), { limit: K, filter: kase.filter });
      times.push(performance.now() - t0);
      if (i < RECALL_QUERIES) {
        const want = new Set(truth[i]![c]!);
        wanted += want.size;
        found += hits.filter((h) => want.has(h.key.id)).length;
      }
    }
    times.sort((a, b) => a - b);
    rows.push({
      ef,
      case: kase.name,
      p50: percentile(times, 50),
      p99: percentile(times, 99),
      recall: found / Math.max(1, wanted),
    });
  }
  await index.close();
  return { openMs, rows };
}

async function main(): Promise<void> {
  const dir = join('.bench', 'query-index');
  mkdirSync(dir, { recursive: true });
  const path = join(dir, `n${N}-c${CLUSTERS}-m${M}-efc${EFC}-s${SEED}-v1.usearch`);
  console.log(`vectors ${fmt(N)} × ${DIM} in ${fmt(CLUSTERS)} clusters; M ${M}, ef_add ${EFC}`);
  let t = performance.now();
  const vectors = clustered(N, CLUSTERS, SEED, SEED);
  const queries = clustered(QUERIES, CLUSTERS, SEED + 1, SEED);
  console.log(`generated in ${fmt(performance.now() - t)} ms`);

  let buildNote = 'reused from an earlier run';
  try {
    await (await UsearchIndex.open(path, { mode: 'view' })).close();
  } catch (err) {
    if (!(err instanceof IndexFileError)) throw err;
    console.log(`building ${path} (${err.message})`);
    const { ms } = await build(path, vectors);
    buildNote = `${fmt(ms / 1000, 1)} s (${fmt(N / (ms / 1000))} vectors/s, threads ${THREADS || 'all'})`;
  }
  console.log(
    `build: ${buildNote}; index file ${fmt(((await fileSize(path)) ?? 0) / 2 ** 20)} MiB`,
  );

  t = performance.now();
  const truth: string[][][] = [];
  for (let i = 0; i < RECALL_QUERIES; i++) {
    truth.push(
      bruteForce(
        vectors,
        queries.subarray(i * DIM, (i + 1) * DIM),
        K,
        CASES.map((c) => c.pass),
      ).map((top) => top.map((p) => `rec-${p}`)),
    );
  }
  const bf = performance.now() - t;
  console.log(
    `brute force (JS Float32 dot loop): ${RECALL_QUERIES} queries in ${fmt(bf)} ms (${fmt(bf / RECALL_QUERIES, 1)} ms each)`,
  );

  const table = [];
  for (const ef of EFS) {
    const { openMs, rows } = await measure(path, ef, queries, truth);
    console.log(`ef_search ${ef}: opened (view, sha256-verified) in ${fmt(openMs)} ms`);
    table.push(...rows);
  }
  console.log(
    `\n${fmt(QUERIES)} top-${K} queries per row; recall@${K} over ${RECALL_QUERIES} of them; overFetch ${OVER_FETCH}, exactThreshold ${EXACT_THRESHOLD}`,
  );
  console.log('| ef_search | filter | p50 ms | p99 ms | recall@10 |');
  console.log('| --- | --- | --- | --- | --- |');
  for (const r of table) {
    console.log(
      `| ${r.ef} | ${r.case} | ${fmt(r.p50, 3)} | ${fmt(r.p99, 3)} | ${fmt(r.recall, 3)} |`,
    );
  }
  console.log('targets: p99 ≤ 20 ms, recall@10 ≥ 0.95');
}

main().catch((err: unknown) => {
  console.error(err);
  process.exit(1);
});
