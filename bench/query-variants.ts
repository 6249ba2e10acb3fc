/**
 * The same server under five loads, so that their differences show what a search request
 * costs besides the search: GET /health (the harness ceiling), the search route with the
 * graph left out, a search the query cache answers, an uncached search, and the production
 * path (token auth, the query cache missing on every lookup, each search audited to a local
 * nats-server's AKOSHA_AUDIT stream).
 */
import { rmSync } from 'node:fs';
import { join } from 'node:path';
import { jetstream, jetstreamManager } from '@nats-io/jetstream';
import { connect } from '@nats-io/transport-node';
import { NatsAuditSink, type AuditSink } from '../audit';
import { createAuthenticator } from '../auth';
import { createToken } from '../auth/token-store';
import { QueryCache } from '../api/query-cache';
import type { Searcher } from '../api/query-backend';
import {
  cachedSearch as embeddedSearch,
  SearchRequest,
  SearchService,
  type SearchResponse,
} from '../api/search';
import type { HashingEmbedder } from '../embedding/hashing-embedder';
import { loadConfig } from '../infra/config';
import { createLogger } from '../infra/logger';
import { createMetrics } from '../infra/metrics';
import { natsServerAvailable, startNatsServer } from '../infra/nats-server';
import type { HotStore } from '../storage/hot-store';
import { subjects } from '../streams/subjects';
import { fmt, tempDir } from './lib';
import {
  LOAD_CPU,
  measureLoad,
  startBenchServer,
  type BenchServerDeps,
  type HttpPlan,
  type MeasuredLoad,
} from './query-http';
import type { LoadJob } from './query-load';
import { pinProcess } from './query-wrk';

/** L1 entries of the cache in the bench: fewer than the texts, so rotating them always misses */
export const CACHE_ENTRIES = 10_000;
/** texts the cached variant repeats (one warm-up fills the cache with them) */
const CACHED_TEXTS = 300;
const SEARCH_OK = '"partial":false';

export interface VariantRow {
  name: string;
  load: MeasuredLoad;
}

interface Env {
  store: HotStore;
  embedder: HashingEmbedder;
  plan: HttpPlan;
  bodies: string[];
}

const silent = createLogger('silent');

function cachedSearch(env: Env): SearchService {
  const cache = new QueryCache<SearchResponse>({
    enabled: true,
    redisUrl: null,
    l1Entries: CACHE_ENTRIES,
    ttlSeconds: 300,
    log: silent,
    metrics: createMetrics(),
  });
  return new SearchService(env.store, env.embedder, { partTimeoutMs: 2000, cache });
}

async function run(
  env: Env,
  deps: BenchServerDeps,
  job: Omit<LoadJob, 'url' | 'durationS' | 'connections'>,
) {
  const server = await startBenchServer(deps);
  try {
    const { connections, durationS } = env.plan;
    return await measureLoad(env.plan, { ...job, url: server.url, connections, durationS });
  } finally {
    await server.close();
  }
}

/**
 * The route without the graph: each query embedded as a real search embeds it, then answered
 * with one real search's answer (its hits). Its cost is what a search request costs besides
 * the search itself: HTTP, parse, validation, hooks, the embedding, serialisation.
 */
async function stubSearch(env: Env): Promise<Searcher> {
  const first = SearchRequest.parse(JSON.parse(env.bodies[0]!));
  const sample = await new SearchService(env.store, env.embedder, { partTimeoutMs: 2000 }).search(
    first,
  );
  const backend = {
    searchVector: (_v: Float32Array, req: SearchRequest) =>
      Promise.resolve({ ...sample, query: req.query }),
  };
  return {
    search: (req, scope = '*') => embeddedSearch(env.embedder, undefined, backend, req, scope),
  };
}

/** A reader's token in a fresh tokens file, and the authenticator that knows it. */
function readerToken(dir: string) {
  const tokensFile = join(dir, 'tokens.json');
  const { token } = createToken(tokensFile, { name: 'bench-reader', role: 'reader', systems: '*' });
  const auth = { ...loadConfig().auth, mode: 'on' as const, tokensFile, anonymousRole: null };
  return { authenticator: createAuthenticator(auth, silent), authorization: `Bearer ${token}` };
}

/** `work` with an audit sink publishing to a local nats-server (on the load generator's core). */
async function withNatsAudit<T>(
  plan: HttpPlan,
  dir: string,
  work: (sink: AuditSink) => Promise<T>,
): Promise<T> {
  const server = await startNatsServer({ storeDir: join(dir, 'nats') });
  if (plan.pin && server.process.pid !== undefined) pinProcess(server.process.pid, LOAD_CPU);
  const nc = await connect({ servers: server.url });
  try {
    const jsm = await jetstreamManager(nc);
    await jsm.streams.add({ name: 'AKOSHA_AUDIT', subjects: [subjects.auditAll] });
    const sink = new NatsAuditSink({ js: jetstream(nc), log: silent });
    const result = await work(sink);
    await sink.flush();
    return result;
  } finally {
    await nc.close();
    await server.stop();
  }
}

async function productionPath(env: Env, dir: string): Promise<MeasuredLoad | undefined> {
  if (!natsServerAvailable()) return undefined;
  const { authenticator, authorization } = readerToken(dir);
  return withNatsAudit(env.plan, dir, (audit) =>
    run(
      env,
      { search: cachedSearch(env), embedder: env.embedder, authenticator, audit },
      { bodies: env.bodies, headers: { authorization }, expect: SEARCH_OK },
    ),
  );
}

/** The five loads, in the order of the table. */
export async function httpVariants(env: Env): Promise<VariantRow[]> {
  const plain = new SearchService(env.store, env.embedder, { partTimeoutMs: 2000 });
  const rows: VariantRow[] = [];
  const add = (name: string, load: MeasuredLoad | undefined) => load && rows.push({ name, load });
  const base = { search: plain, embedder: env.embedder };
  add('GET /health (harness ceiling)', await run(env, base, { path: '/health', bodies: [] }));
  const stub = { search: await stubSearch(env), embedder: env.embedder };
  add(
    'search route, the graph left out (a fixed 10-hit answer)',
    await run(env, stub, { bodies: env.bodies, expect: SEARCH_OK }),
  );
  const cached = { search: cachedSearch(env), embedder: env.embedder };
  const repeated = env.bodies.slice(0, CACHED_TEXTS);
  add(
    `search answered by the query cache (${CACHED_TEXTS} texts)`,
    await run(env, cached, { bodies: repeated, expect: '"cache":"hit"' }),
  );
  add('search, no cache', await run(env, base, { bodies: env.bodies, expect: SEARCH_OK }));
  const dir = tempDir('query-http');
  try {
    add(
      'search, production path: token, cache miss, audit to NATS',
      await productionPath(env, dir),
    );
  } finally {
    rmSync(dir, { recursive: true, force: true });
  }
  return rows;
}

export function printVariants(rows: VariantRow[], texts: number): void {
  console.log(`\nHTTP variants (${fmt(texts)} distinct query texts unless said otherwise)`);
  console.log(
    '| load | searches/s | p50 | p99 | server CPU / request | load generator CPU / request | failed |',
  );
  console.log('| --- | --- | --- | --- | --- | --- | --- |');
  for (const { name, load: r } of rows) {
    const failed = r.errors + r.timeouts + r.non2xx + r.mismatches;
    console.log(
      `| ${name} | ${fmt(r.perSecond)} | ${fmt(r.p50, 1)} ms | ${fmt(r.p99, 1)} ms | ` +
        `${fmt(r.serverUsPerRequest)} µs | ${fmt(r.loadUsPerRequest)} µs | ${failed} |`,
    );
  }
}
