/**
 * Where a search request's time goes outside the HTTP server, stage by stage, measured on
 * the real functions one stage at a time over the same query texts (bench/query.ts prints it).
 */
import { performance } from 'node:perf_hooks';
import { searchAuditDetail } from '../audit';
import { encodeAuditEvent } from '../audit/publisher';
import { requestHash } from '../api/cache-key';
import { mergedResponse, SearchRequest, type SearchService } from '../api/search';
import type { HashingEmbedder } from '../embedding/hashing-embedder';
import { createMetrics } from '../infra/metrics';
import { jsonTextTooDeep, shardOf } from '../schemas';
import type { HotStore } from '../storage/hot-store';
import type { HotIndexHit } from '../storage/hot-index';
import { fmt } from './lib';

export interface StageTime {
  stage: string;
  /** this process's CPU per request (µs): what the stage costs a loaded server */
  cpuUs: number;
  /** median wall time (µs); on a shared machine it also holds the time others had the core */
  p50Us: number;
}

interface Inputs {
  bodies: string[];
  requests: SearchRequest[];
  vectors: Float32Array[];
  hits: HotIndexHit[][];
  responses: Awaited<ReturnType<SearchService['searchVector']>>[];
}

/** Times `fn` once per input (after a warm-up pass): CPU per call over the pass, median wall. */
async function timed<T>(
  stage: string,
  items: T[],
  fn: (x: T, i: number) => unknown,
): Promise<StageTime> {
  for (let i = 0; i < Math.min(200, items.length); i++) await fn(items[i]!, i);
  const times = new Float64Array(items.length);
  const cpu = process.cpuUsage();
  for (let i = 0; i < items.length; i++) {
    const t0 = performance.now();
    await fn(items[i]!, i);
    times[i] = (performance.now() - t0) * 1000;
  }
  const used = process.cpuUsage(cpu);
  const cpuUs = (used.user + used.system) / items.length;
  return { stage, cpuUs, p50Us: [...times].sort((a, b) => a - b)[Math.floor(times.length / 2)]! };
}

async function inputsOf(
  store: HotStore,
  embedder: HashingEmbedder,
  search: SearchService,
  texts: string[],
): Promise<Inputs> {
  const bodies = texts.map((query) => JSON.stringify({ query, limit: 10 }));
  const requests = bodies.map((b) => SearchRequest.parse(JSON.parse(b)));
  const vectors = texts.map((t) => embedder.embedOne(t));
  const hits: HotIndexHit[][] = [];
  const responses = [];
  for (const [i, v] of vectors.entries()) {
    hits.push(await store.searchIndex(v, { limit: 10, filter: {} }));
    responses.push(await search.searchVector(v, requests[i]!));
  }
  return { bodies, requests, vectors, hits, responses };
}

const byShard = (hits: HotIndexHit[]) => {
  const out = new Map<number, HotIndexHit[]>();
  for (const h of hits)
    out.set(shardOf(h.system_id), [...(out.get(shardOf(h.system_id)) ?? []), h]);
  return out;
};

/** What the server does around the graph search for one request, per stage. */
function aroundStages(inputs: Inputs, embedder: HashingEmbedder) {
  const { bodies, requests, responses } = inputs;
  const metrics = createMetrics();
  const model = embedder.info.model;
  return [
    () =>
      timed('JSON parse (depth check + JSON.parse)', bodies, (b) => {
        if (!jsonTextTooDeep(b, 32)) JSON.parse(b);
      }),
    () =>
      timed('validation (zod SearchRequest)', bodies, (b) =>
        SearchRequest.safeParse(JSON.parse(b)),
      ),
    () =>
      timed('cache key (canonical JSON + sha256)', requests, (r) =>
        requestHash({ ...r, model, scope: '*' }, undefined),
      ),
    () => timed('embedding the query text (hashing)', requests, (r) => embedder.embed([r.query])),
    () =>
      timed('serialisation (JSON.stringify of the answer)', responses, (r) => JSON.stringify(r)),
    () =>
      timed('audit event (detail + encode)', requests, (r, i) =>
        encodeAuditEvent({
          at: new Date().toISOString(),
          principal: 'bench',
          role: 'admin',
          action: 'search',
          target: { route: 'POST /api/v1/search' },
          result: 'ok',
          source: '127.0.0.1',
          request_id: 'bench-request',
          detail: {
            status: 200,
            ...searchAuditDetail({ ...r, filters: {} }, responses[i]!.total, '*', false),
          },
        }),
      ),
    () =>
      timed('metrics (4 observations)', requests, () => {
        metrics.httpRequests.inc({ method: 'POST', route: '/api/v1/search', status: '200' });
        metrics.httpDuration.observe({ method: 'POST', route: '/api/v1/search' }, 0.001);
        metrics.queryDuration.startTimer({ endpoint: 'search' })();
        metrics.queryRequests.inc({ endpoint: 'search', outcome: 'ok' });
      }),
  ];
}

/** The search itself: the graph, the shards' rows, the merge, and all of it at once. */
function searchStages(
  inputs: Inputs,
  store: HotStore,
  search: SearchService,
  embedder: HashingEmbedder,
) {
  const { requests, vectors, hits } = inputs;
  return [
    () =>
      timed('index search (graph + exact re-rank)', vectors, (v) =>
        store.searchIndex(v, { limit: 10, filter: {} }),
      ),
    () =>
      timed('hit rows (in memory, per shard)', hits, (h) =>
        Promise.all([...byShard(h)].map(([shard, list]) => store.hitRows(shard, list))),
      ),
    () =>
      timed('merge', requests, (r, i) =>
        mergedResponse(
          r,
          '*',
          { hits: inputs.responses[i]!.results, failed: [] },
          embedder.info,
          0,
        ),
      ),
    () => timed('searchVector as a whole', vectors, (v, i) => search.searchVector(v, requests[i]!)),
  ];
}

export async function profileStages(
  store: HotStore,
  embedder: HashingEmbedder,
  search: SearchService,
  texts: string[],
): Promise<StageTime[]> {
  const inputs = await inputsOf(store, embedder, search, texts);
  const out: StageTime[] = [];
  for (const stage of [
    ...aroundStages(inputs, embedder),
    ...searchStages(inputs, store, search, embedder),
  ])
    out.push(await stage());
  return out;
}

export function printStages(rows: StageTime[], count: number): void {
  console.log(`\nper-request stages in process, ${fmt(count)} distinct query texts`);
  console.log('| stage | CPU per request | p50 wall |');
  console.log('| --- | --- | --- |');
  for (const r of rows)
    console.log(`| ${r.stage} | ${fmt(r.cpuUs, 1)} µs | ${fmt(r.p50Us, 1)} µs |`);
}
