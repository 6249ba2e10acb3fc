/**
 * Search benchmark over real hot records: in-process latency and recall, then HTTP throughput.
 *
 *   npm run bench:query                        # 1,000,000 records (the first run builds ~30 min)
 *   BENCH_VECTORS=100000 npm run bench:query
 *
 * N clustered 384-d unit vectors (seeded, bench/clustered.ts) become hot records of SYSTEMS
 * systems, written through HotStore.writeShard like the shard writers do. The data set (DuckDB
 * shard files and the saved index) is built once under .bench/query/, keyed by N and the seed,
 * and reopened by later runs (the index is rebuilt from the shards when AKOSHA_INDEX_QUANTIZATION
 * differs from the saved file's; AKOSHA_INDEX_EF_SEARCH applies at open). Then:
 *  1. SearchService.searchVector (no cache, no warm or cold tier): top-10 p50/p99 over QUERIES
 *     queries from the same clusters, recall@10 on RECALL_QUERIES of them against exact brute
 *     force over all N vectors; the same with a system_id filter; where the time goes.
 *  2. buildHttpServer on 127.0.0.1 with that search (cache off), loaded by autocannon in a child
 *     process (the server keeps its event loop) with varied query texts.
 *  3. scatter-gather over 2 writer processes against one process on the same (smaller) data,
 *     BENCH_SCATTER_VECTORS (100,000): bench/query-scatter.ts.
 *
 * Env: BENCH_VECTORS (1,000,000), BENCH_QUERIES (1000), BENCH_RECALL_QUERIES (100),
 * BENCH_CONNECTIONS (32), BENCH_DURATION_S (15), BENCH_WARMUP_S (3).
 */
import { fork } from 'node:child_process';
import type { AddressInfo } from 'node:net';
import { performance } from 'node:perf_hooks';
import type { JetStreamClient } from '@nats-io/jetstream';
import { buildHttpServer } from '../api/http';
import { SearchService, type SearchRequest } from '../api/search';
import { HashingEmbedder } from '../embedding/hashing-embedder';
import { createMetrics } from '../infra/metrics';
import { shardOf } from '../schemas/ids';
import type { HotStore } from '../storage/hot-store';
import type { HotIndexHit } from '../storage/hot-index';
import { bruteForce, clustered, DIM } from './clustered';
import { envInt, fmt, percentile } from './lib';
import type { LoadJob, LoadResult } from './query-load';
import { openDataSet, systemOf } from './query-data';
import { printScatterRow, scatterBench } from './query-scatter';

const N = envInt('BENCH_VECTORS', 1_000_000);
const QUERIES = envInt('BENCH_QUERIES', 1000);
const RECALL_QUERIES = Math.min(QUERIES, envInt('BENCH_RECALL_QUERIES', 100));
const CONNECTIONS = envInt('BENCH_CONNECTIONS', 32);
const DURATION_S = envInt('BENCH_DURATION_S', 15);
const WARMUP_S = envInt('BENCH_WARMUP_S', 3);
const CLUSTERS = Math.max(100, Math.floor(N / 100));
const SYSTEMS = 1000;
const SEED = 1;
const K = 10;
const TEXTS = 300;

const stats = (times: number[]) => {
  const sorted = [...times].sort((a, b) => a - b);
  return { p50: percentile(sorted, 50), p99: percentile(sorted, 99) };
};
const ms = (x: number) => `${fmt(x, 2)} ms`;

interface Case {
  name: string;
  /** the system a query of this case is limited to */
  system?: (q: number) => string;
}
const CASES: Case[] = [
  { name: 'top-10' },
  { name: 'top-10, system_id filter', system: (q) => systemOf(q, SYSTEMS) },
];

/** Latency of SearchService.searchVector per case, and recall@10 against `truth`. */
async function inProcess(search: SearchService, queries: Float32Array, truth: number[][][]) {
  const q = (i: number) => queries.subarray(i * DIM, (i + 1) * DIM);
  const request = (c: Case, i: number): SearchRequest => ({
    query: 'bench',
    limit: K,
    ...(c.system && { system_id: c.system(i) }),
  });
  const rows = [];
  for (const [c, kase] of CASES.entries()) {
    for (let i = 0; i < 100; i++) await search.searchVector(q(i), request(kase, i));
    const times: number[] = [];
    let found = 0;
    let partial = 0;
    for (let i = 0; i < QUERIES; i++) {
      const t0 = performance.now();
      const res = await search.searchVector(q(i), request(kase, i));
      times.push(performance.now() - t0);
      if (res.partial) partial++;
      if (i < RECALL_QUERIES) {
        const want = new Set(truth[i]![c]!.map((p) => `rec-${p}`));
        found += res.results.filter((h) => want.has(h.id)).length;
      }
    }
    rows.push({ name: kase.name, ...stats(times), recall: found / (RECALL_QUERIES * K), partial });
  }
  return rows;
}

interface Breakdown {
  index: ReturnType<typeof stats>;
  rows: ReturnType<typeof stats>;
  shardsPerQuery: number;
}

/** Where an unfiltered search's time goes: the index search, then the shards' hit rows. */
async function breakdown(store: HotStore, queries: Float32Array): Promise<Breakdown> {
  const index: number[] = [];
  const rows: number[] = [];
  let shards = 0;
  for (let i = 0; i < QUERIES; i++) {
    const t0 = performance.now();
    const hits = await store.searchIndex(queries.subarray(i * DIM, (i + 1) * DIM), { limit: K });
    const t1 = performance.now();
    const byShard = new Map<number, HotIndexHit[]>();
    for (const h of hits)
      byShard.set(shardOf(h.system_id), [...(byShard.get(shardOf(h.system_id)) ?? []), h]);
    await Promise.all([...byShard].map(([shard, list]) => store.hitRows(shard, list)));
    index.push(t1 - t0);
    rows.push(performance.now() - t1);
    shards += byShard.size;
  }
  return { index: stats(index), rows: stats(rows), shardsPerQuery: shards / QUERIES };
}

/** Distinct short query texts built from a small vocabulary. */
function queryTexts(): string[] {
  const words =
    'stream shard writer duckdb vector index replay ack latency cache memory session'.split(' ');
  return Array.from({ length: TEXTS }, (_, i) => {
    const w = (k: number) => words[(i * (k + 3) + k * 5) % words.length]!;
    return `${w(0)} ${w(1)} ${w(2)} ${i}`;
  });
}

function loadInChild(job: LoadJob): Promise<LoadResult> {
  // fork inherits tsx's loader flags (execArgv), so the child runs the .ts file as well
  const child = fork(require.resolve('./query-load'));
  return new Promise((resolve, reject) => {
    child.once('message', (m) => resolve(m as LoadResult));
    child.once('exit', (code) => reject(new Error(`load generator exited with ${code}`)));
    child.send(job);
  });
}

async function http(search: SearchService, embedder: HashingEmbedder) {
  const app = buildHttpServer({
    js: {} as JetStreamClient, // the search route does not touch NATS
    maxPayloadBytes: 1 << 20,
    metrics: createMetrics(),
    embedder,
    search,
    readiness: () => ({
      ready: true,
      consuming: true,
      nats: 'none',
      roles: ['api'],
      embedder: 'hashing',
    }),
  });
  await app.listen({ host: '127.0.0.1', port: 0 });
  const url = `http://127.0.0.1:${(app.server.address() as AddressInfo).port}`;
  const bodies = queryTexts().map((query) => JSON.stringify({ query, limit: K }));
  try {
    const probe = await fetch(`${url}/api/v1/search`, {
      method: 'POST',
      headers: { 'content-type': 'application/json' },
      body: bodies[0]!,
    });
    const body = (await probe.json()) as { total: number; partial: boolean };
    if (probe.status !== 200 || body.total !== K || body.partial)
      throw new Error(`probe search answered ${probe.status}: ${JSON.stringify(body)}`);
    await loadInChild({ url, connections: CONNECTIONS, durationS: WARMUP_S, bodies });
    return await loadInChild({ url, connections: CONNECTIONS, durationS: DURATION_S, bodies });
  } finally {
    await app.close();
  }
}

function printInProcess(
  rows: Awaited<ReturnType<typeof inProcess>>,
  parts: Breakdown,
  embed: number[],
) {
  console.log(
    `\nin process: SearchService.searchVector, ${fmt(QUERIES)} queries per row, recall@10 over ${RECALL_QUERIES}`,
  );
  console.log('| query | p50 | p99 | recall@10 | partial |');
  console.log('| --- | --- | --- | --- | --- |');
  for (const r of rows)
    console.log(`| ${r.name} | ${ms(r.p50)} | ${ms(r.p99)} | ${fmt(r.recall, 3)} | ${r.partial} |`);
  console.log(
    `where a top-10 search goes: index search p50 ${ms(parts.index.p50)} p99 ${ms(parts.index.p99)}; ` +
      `hit rows (${fmt(parts.shardsPerQuery, 1)} shards in parallel) p50 ${ms(parts.rows.p50)} p99 ${ms(parts.rows.p99)}; ` +
      `embedding a query text p50 ${ms(stats(embed).p50)}`,
  );
}

function printTargets(top: { p99: number; recall: number }, load: LoadResult): void {
  const failures = load.errors + load.timeouts + load.non2xx + load.mismatches;
  console.log(
    `${fmt(load.perSecond)} searches/s (${fmt(load.ok)} in ${fmt(load.durationS, 1)} s), ` +
      `p50 ${load.p50} ms, p99 ${load.p99} ms; errors ${load.errors}, timeouts ${load.timeouts}, ` +
      `non-2xx ${load.non2xx}, partial ${load.mismatches}`,
  );
  const targets = [
    ['top-10 p99 ≤ 20 ms', ms(top.p99), top.p99 <= 20],
    ['recall@10 ≥ 0.95', fmt(top.recall, 3), top.recall >= 0.95],
    [
      '≥ 1,000 searches/s over HTTP',
      `${fmt(load.perSecond)}/s, ${failures} failed`,
      load.perSecond >= 1000 && failures === 0,
    ],
  ] as const;
  console.log(`\n| target (${fmt(N)} records) | measured | met |`);
  console.log('| --- | --- | --- |');
  for (const [name, value, met] of targets)
    console.log(`| ${name} | ${value} | ${met ? 'met' : 'NOT met'} |`);
}

/** Exact top-10 of the first RECALL_QUERIES queries, per case. */
function groundTruth(vectors: Float32Array, queries: Float32Array): number[][][] {
  const t = performance.now();
  const truth = Array.from({ length: RECALL_QUERIES }, (_, i) =>
    bruteForce(
      vectors,
      queries.subarray(i * DIM, (i + 1) * DIM),
      K,
      CASES.map((c) => (c.system ? (p: number) => p % SYSTEMS === i % SYSTEMS : () => true)),
    ),
  );
  console.log(
    `brute force: ${RECALL_QUERIES} queries in ${fmt((performance.now() - t) / 1000, 1)} s`,
  );
  return truth;
}

async function embedTimes(embedder: HashingEmbedder): Promise<number[]> {
  const times: number[] = [];
  for (const text of queryTexts()) {
    const t0 = performance.now();
    await embedder.embed([text]);
    times.push(performance.now() - t0);
  }
  return times;
}

async function main(): Promise<void> {
  console.log(
    `records ${fmt(N)} × ${DIM} in ${fmt(CLUSTERS)} clusters, ${fmt(SYSTEMS)} systems; seed ${SEED}`,
  );
  const t = performance.now();
  const vectors = clustered(N, CLUSTERS, SEED, SEED);
  const queries = clustered(QUERIES, CLUSTERS, SEED + 1, SEED);
  console.log(`generated in ${fmt(performance.now() - t)} ms`);

  const spec = { n: N, clusters: CLUSTERS, systems: SYSTEMS, seed: SEED };
  const { store, buildNote, openMs } = await openDataSet(spec, vectors);
  try {
    console.log(`data set: ${buildNote}`);
    console.log(
      `opened in ${fmt(openMs / 1000, 1)} s: ${fmt(await store.count())} records in ${store.shards.length} shard files, ` +
        `index ${store.indexOpened.rebuilt ? 'rebuilt' : 'from its file'}`,
    );
    const truth = groundTruth(vectors, queries);
    const embedder = new HashingEmbedder();
    const search = new SearchService(store, embedder, { partTimeoutMs: 2000 });
    const rows = await inProcess(search, queries, truth);
    printInProcess(rows, await breakdown(store, queries), await embedTimes(embedder));

    console.log(
      `\nHTTP: POST /api/v1/search, ${TEXTS} texts, ${CONNECTIONS} connections, ${DURATION_S} s after ${WARMUP_S} s warm-up (autocannon in a child process)`,
    );
    printTargets(rows[0]!, await http(search, embedder));
  } finally {
    await store.close();
  }
  printScatterRow(await scatterBench());
}

main().then(
  // something (prom-client's default metrics) keeps the loop alive after the store is closed
  () => process.exit(0),
  (err: unknown) => {
    console.error(err);
    process.exit(1);
  },
);
