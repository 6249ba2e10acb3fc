/**
 * Scatter-gather over 2 writers against one process on the same data (bench:query's last row;
 * alone: `tsx bench/query-scatter.ts`).
 *
 * BENCH_SCATTER_VECTORS (100,000) clustered records are built three times under .bench/query/:
 * all shards (the in-process search), and the shards of groups 0-7 and 8-15 (two writers).
 * A nats-server on a loopback port; each writer is a process of its own
 * (bench/query-scatter-writer.ts: a QueryEndpoint and a real writer lease); the API side, in
 * this process, is ScatterSearch over a WriterDirectory. Queries alternate between the two
 * paths; the same queries, top-10, no cache. Four processes share the two cores.
 */
import { mkdtempSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { performance } from 'node:perf_hooks';
import { connect, type NatsConnection } from '@nats-io/transport-node';
import { ScatterSearch } from '../api/remote/scatter-search';
import { WriterDirectory } from '../api/remote/writer-directory';
import { mergeHits, SearchService, type SearchHit, type SearchRequest } from '../api/search';
import { HashingEmbedder } from '../embedding/hashing-embedder';
import { encodeVector } from '../embedding/vector';
import { createLogger } from '../infra/logger';
import { startNatsServer } from '../infra/nats-server';
import { groupOfShard } from '../streams/subjects';
import { clustered, DIM } from './clustered';
import { envInt } from './lib';
import { EMBEDDER, ensureDataSet, openDataSet, type DataSetSpec } from './query-data';
import {
  EchoProbe,
  harnessCostMs,
  p50,
  p99,
  pin,
  pinning,
  prioritise,
  TimedClient,
} from './query-scatter-probe';
import {
  addWriterSteps,
  ENCODE_STAGE,
  printScatterRow,
  type ScatterRow,
} from './query-scatter-report';
import { echoSubject, HALVES, startWriters, type WriterChild } from './query-scatter-writers';

const GROUPS = 16;
const QUERIES = envInt('BENCH_SCATTER_QUERIES', 1000);
const log = createLogger('warn');

async function stores(n: number) {
  const spec: DataSetSpec = {
    n,
    clusters: Math.max(100, Math.floor(n / 100)),
    systems: 1000,
    seed: 1,
  };
  const vectors = clustered(n, spec.clusters, spec.seed, spec.seed);
  const half = (name: string, low: boolean) => ({
    name,
    shards: (shard: number) => groupOfShard(shard, GROUPS) < 8 === low,
  });
  const all = await openDataSet(spec, vectors);
  // built here, opened by the writer processes (one process per DuckDB file)
  for (const part of [half('g0-7', true), half('g8-15', false)])
    await ensureDataSet({ ...spec, part }, vectors);
  return { spec, all: all.store };
}

/** Runs the comparison; `n` records. */
export async function scatterBench(
  n = envInt('BENCH_SCATTER_VECTORS', 100_000),
): Promise<ScatterRow> {
  const { spec, all } = await stores(n);
  const server = await startNatsServer({ storeDir: mkdtempSync(join(tmpdir(), 'bench-nats-')) });
  const writers: WriterChild[] = [];
  let api: NatsConnection | undefined;
  let directory: WriterDirectory | undefined;
  try {
    writers.push(...(await startWriters(server.url, spec, GROUPS)));
    const pins = pinning();
    if (pins) pin(server.process.pid, pins.nats);
    if (pins) pin(process.pid, pins.api);
    for (const pid of [server.process.pid, process.pid, ...writers.map((w) => w.pid)])
      prioritise(pid);
    api = await connect({ servers: server.url });
    const client = new TimedClient(api, 2500);
    directory = await WriterDirectory.open(api, 30_000, log);
    const scatter = new ScatterSearch({
      client,
      directory,
      embedder: EMBEDDER,
      groupCount: GROUPS,
    });
    const local = new SearchService(all, new HashingEmbedder(), { partTimeoutMs: 2000 });
    const echo = new EchoProbe(
      api,
      HALVES.map(([name]) => echoSubject(name)),
    );
    const row = await measure(spec, { local, scatter, client, echo }, writers);
    const steps = await Promise.all(writers.splice(0).map((w) => w.stop()));
    addWriterSteps(row, steps, client);
    return row;
  } finally {
    for (const w of writers) await w.stop();
    directory?.stop();
    await api?.close();
    await server.stop();
    await all.close();
  }
}

interface Paths {
  local: SearchService;
  scatter: ScatterSearch;
  client: TimedClient;
  echo: EchoProbe;
}

const ALONE_QUERIES = Math.min(300, QUERIES);
const REQ: SearchRequest = { query: 'bench', limit: 10 };

/**
 * The p50 added when the same queries run through one path after the other rather than
 * alternating: then the in-process search does not evict the scatter path's code and data
 * from the caches between its queries (what alternating costs the scatter row).
 */
async function eachAlone(paths: Paths, q: (i: number) => Float32Array): Promise<number> {
  const times = { local: [] as number[], scatter: [] as number[] };
  for (const path of ['local', 'scatter'] as const)
    for (let i = 0; i < ALONE_QUERIES; i++) {
      const t = performance.now();
      await paths[path].searchVector(q(i), REQ, '*');
      times[path].push(performance.now() - t);
    }
  return p50(times.scatter) - p50(times.local);
}

/** Besides each query: the bare round trip, and the API's request encode and merge timed apart. */
async function aside(paths: Paths, vector: Float32Array, found: SearchHit[][], t: SideTimes) {
  await paths.echo.round();
  let start = performance.now();
  JSON.stringify({ model: EMBEDDER.model, vector: encodeVector(vector), request: REQ, scope: '*' });
  t.encode.push(performance.now() - start);
  start = performance.now();
  mergeHits(found.flat(), REQ.limit);
  t.merge.push(performance.now() - start);
}

interface SideTimes {
  encode: number[];
  merge: number[];
}

async function measure(
  spec: DataSetSpec,
  paths: Paths,
  writers: WriterChild[],
): Promise<ScatterRow> {
  const { local, scatter, client, echo } = paths;
  const queries = clustered(QUERIES, spec.clusters, spec.seed + 1, spec.seed);
  const q = (i: number) => queries.subarray(i * DIM, (i + 1) * DIM);
  for (let i = 0; i < 100; i++) {
    await scatter.searchVector(q(i), REQ, '*'); // warm-up
    await echo.round();
  }
  const alone = await eachAlone(paths, q);
  client.reset();
  echo.calls.length = echo.slower.length = 0;
  for (const w of writers) w.reset();
  const times = {
    inProcess: [] as number[],
    viaNats: [] as number[],
    encode: [] as number[],
    merge: [] as number[],
  };
  let same = 0;
  for (let i = 0; i < QUERIES; i++) {
    let t = performance.now();
    const a = await local.searchVector(q(i), REQ, '*');
    times.inProcess.push(performance.now() - t);
    t = performance.now();
    const b = await scatter.searchVector(q(i), REQ, '*');
    times.viaNats.push(performance.now() - t);
    client.endQuery();
    if (b.partial) throw new Error(`query ${i}: partial answer ${JSON.stringify(b.failed)}`);
    // approximate graphs: two half indexes may find other neighbours than one whole index
    if (a.results.map((h) => h.id).join() === b.results.map((h) => h.id).join()) same++;
    await aside(paths, q(i), [a.results, b.results], times);
  }
  return {
    records: spec.n,
    queries: QUERIES,
    pinned: process.env.BENCH_SCATTER_PIN ?? '',
    nice: process.env.BENCH_SCATTER_NICE ?? '',
    sameTop10: same / QUERIES,
    inProcess: { p50: p50(times.inProcess), p99: p99(times.inProcess) },
    scatter: { p50: p50(times.viaNats), p99: p99(times.viaNats) },
    stages: {
      [ENCODE_STAGE]: p50(times.encode),
      [`p50 added when each path runs alone (${ALONE_QUERIES} queries each, not alternating)`]:
        alone,
      'bare NATS round trip to both writers at once (empty request, plain subscription)': p50(
        echo.slower,
      ),
      'bare NATS round trip, each call': p50(echo.calls),
      'merge of both replies': p50(times.merge),
      "harness's own timing per query": harnessCostMs(),
    },
  };
}

if (require.main === module)
  scatterBench().then(
    (row) => {
      printScatterRow(row);
      process.exit(0);
    },
    (err: unknown) => {
      console.error(err);
      process.exit(1);
    },
  );

export { printScatterRow, type ScatterRow };
