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
import { fork } from 'node:child_process';
import { mkdtempSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { performance } from 'node:perf_hooks';
import { connect, type NatsConnection } from '@nats-io/transport-node';
import { QueryClient } from '../api/remote/query-client';
import { ScatterSearch } from '../api/remote/scatter-search';
import { WriterDirectory } from '../api/remote/writer-directory';
import { mergeHits, SearchService, type SearchRequest } from '../api/search';
import { HashingEmbedder } from '../embedding/hashing-embedder';
import { encodeVector } from '../embedding/vector';
import { createLogger } from '../infra/logger';
import { startNatsServer } from '../infra/nats-server';
import { groupOfShard } from '../streams/subjects';
import { clustered, DIM } from './clustered';
import { envInt, fmt, percentile } from './lib';
import { EMBEDDER, openDataSet, type DataSetSpec } from './query-data';
import type { WriterJob } from './query-scatter-writer';

const GROUPS = 16;
const QUERIES = envInt('BENCH_SCATTER_QUERIES', 1000);
const log = createLogger('warn');
const p50 = (xs: number[]) =>
  percentile(
    [...xs].sort((a, b) => a - b),
    50,
  );
const p99 = (xs: number[]) =>
  percentile(
    [...xs].sort((a, b) => a - b),
    99,
  );

/** A QueryClient that records each call's round trip (request out to reply checked). */
class TimedClient extends QueryClient {
  readonly times: number[] = [];
  override async call<T>(...args: Parameters<QueryClient['call']>): Promise<T> {
    const t = performance.now();
    const reply = (await super.call(...args)) as T;
    this.times.push(performance.now() - t);
    return reply;
  }
}

interface WriterChild {
  reset(): void;
  /** stops it; the p50 of its own searches */
  stop(): Promise<number>;
}

/** A writer process (bench/query-scatter-writer.ts) serving its half of the data set. */
async function startWriter(job: WriterJob): Promise<WriterChild> {
  const child = fork(require.resolve('./query-scatter-writer'));
  await new Promise<void>((resolve, reject) => {
    child.once('message', () => resolve());
    child.once('exit', (code) => reject(new Error(`writer exited with ${code}`)));
    child.send(job);
  });
  return {
    reset: () => child.send('reset'),
    stop: () =>
      new Promise((resolve) => {
        child.once('message', (m) => resolve((m as { searchP50: number }).searchP50));
        child.send('stop');
      }),
  };
}

export interface ScatterRow {
  records: number;
  /** share of queries whose top-10 ids equal the in-process answer's */
  sameTop10: number;
  inProcess: { p50: number; p99: number };
  scatter: { p50: number; p99: number };
  stages: Record<string, number>;
}

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
    for (const [name, groups] of [
      ['g0-7', [0, 1, 2, 3, 4, 5, 6, 7]],
      ['g8-15', [8, 9, 10, 11, 12, 13, 14, 15]],
    ] as const)
      writers.push(
        await startWriter({
          url: server.url,
          spec: { ...spec, part: { name } },
          groups: [...groups],
          groupCount: GROUPS,
        }),
      );
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
    const row = await measure(spec, local, scatter, client, writers);
    const searchP50s = await Promise.all(writers.splice(0).map((w) => w.stop()));
    row.stages["a writer's search (half the shards)"] = Math.max(...searchP50s);
    return row;
  } finally {
    for (const w of writers) await w.stop();
    directory?.stop();
    await api?.close();
    await server.stop();
    await all.close();
  }
}

async function measure(
  spec: DataSetSpec,
  local: SearchService,
  scatter: ScatterSearch,
  client: TimedClient,
  writers: WriterChild[],
): Promise<ScatterRow> {
  const queries = clustered(QUERIES, spec.clusters, spec.seed + 1, spec.seed);
  const q = (i: number) => queries.subarray(i * DIM, (i + 1) * DIM);
  const req: SearchRequest = { query: 'bench', limit: 10 };
  for (let i = 0; i < 100; i++) await scatter.searchVector(q(i), req, '*'); // warm-up
  client.times.length = 0;
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
    if (b.partial) throw new Error(`query ${i}: partial answer ${JSON.stringify(b.failed)}`);
    // approximate graphs: two half indexes may find other neighbours than one whole index
    if (a.results.map((h) => h.id).join() === b.results.map((h) => h.id).join()) same++;
    t = performance.now();
    JSON.stringify({ model: EMBEDDER.model, vector: encodeVector(q(i)), request: req, scope: '*' });
    encode.push(performance.now() - t);
    t = performance.now();
    mergeHits([...a.results, ...b.results], 10);
    merge.push(performance.now() - t);
  }
  return {
    records: spec.n,
    sameTop10: same / QUERIES,
    inProcess: { p50: p50(inProcess), p99: p99(inProcess) },
    scatter: { p50: p50(viaNats), p99: p99(viaNats) },
    stages: {
      'request encode (JSON + base64 vector)': p50(encode),
      'one writer call (NATS round trip, writer search, reply parse)': p50(client.times),
      'merge of both replies': p50(merge),
    },
  };
}

export function printScatterRow(row: ScatterRow): void {
  const ms = (x: number) => `${fmt(x, 2)} ms`;
  const added = row.scatter.p50 - row.inProcess.p50;
  console.log(
    `\nscatter-gather over 2 writers, ${fmt(row.records)} records, ${fmt(QUERIES)} queries, top-10`,
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
