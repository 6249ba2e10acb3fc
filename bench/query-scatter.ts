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
import { mergeHits, SearchService, type SearchRequest } from '../api/search';
import { HashingEmbedder } from '../embedding/hashing-embedder';
import { encodeVector } from '../embedding/vector';
import { createLogger } from '../infra/logger';
import { startNatsServer } from '../infra/nats-server';
import { groupOfShard } from '../streams/subjects';
import { clustered, DIM } from './clustered';
import { envInt } from './lib';
import { EMBEDDER, openDataSet, type DataSetSpec } from './query-data';
import {
  EchoProbe,
  harnessCostMs,
  p50,
  p99,
  pin,
  pinning,
  TimedClient,
} from './query-scatter-probe';
import { addWriterSteps, printScatterRow, type ScatterRow } from './query-scatter-report';
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
    await (await openDataSet({ ...spec, part }, vectors)).store.close();
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
    addWriterSteps(row, steps);
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

async function measure(
  spec: DataSetSpec,
  paths: Paths,
  writers: WriterChild[],
): Promise<ScatterRow> {
  const { local, scatter, client, echo } = paths;
  const queries = clustered(QUERIES, spec.clusters, spec.seed + 1, spec.seed);
  const q = (i: number) => queries.subarray(i * DIM, (i + 1) * DIM);
  const req: SearchRequest = { query: 'bench', limit: 10 };
  for (let i = 0; i < 100; i++) {
    await scatter.searchVector(q(i), req, '*'); // warm-up
    await echo.round();
  }
  client.reset();
  echo.calls.length = echo.slower.length = 0;
  for (const w of writers) w.reset();
  const inProcess: number[] = [];
  const viaNats: number[] = [];
  const encode: number[] = [];
  const merge: number[] = [];
  let same = 0;
  for (let i = 0; i < QUERIES; i++) {
    let t = performance.now();
    const a = await local.searchVector(q(i), req, '*');
    inProcess.push(performance.now() - t);
    t = performance.now();
    const b = await scatter.searchVector(q(i), req, '*');
    viaNats.push(performance.now() - t);
    client.endQuery();
    if (b.partial) throw new Error(`query ${i}: partial answer ${JSON.stringify(b.failed)}`);
    // approximate graphs: two half indexes may find other neighbours than one whole index
    if (a.results.map((h) => h.id).join() === b.results.map((h) => h.id).join()) same++;
    await echo.round();
    t = performance.now();
    JSON.stringify({ model: EMBEDDER.model, vector: encodeVector(q(i)), request: req, scope: '*' });
    encode.push(performance.now() - t);
    t = performance.now();
    mergeHits([...a.results, ...b.results], 10);
    merge.push(performance.now() - t);
  }
  return {
    records: spec.n,
    queries: QUERIES,
    pinned: process.env.BENCH_SCATTER_PIN ?? '',
    sameTop10: same / QUERIES,
    inProcess: { p50: p50(inProcess), p99: p99(inProcess) },
    scatter: { p50: p50(viaNats), p99: p99(viaNats) },
    stages: {
      'API: request encode (JSON + base64 vector)': p50(encode),
      'bare NATS round trip (empty request, plain subscription in a writer)': p50(echo.calls),
      'bare NATS round trip to both writers at once, the slower': p50(echo.slower),
      'one writer call (request out to reply checked)': p50(client.calls),
      'the slower of the two calls of a query': p50(client.slower),
      'API: reply decode + check': p50(client.decodes),
      'merge of both replies': p50(merge),
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
