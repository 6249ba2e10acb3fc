import { z } from 'zod';
import type { Embedder } from '../embedding';
import { duringRead } from '../infra';
import { IsoTimestamp, shardOf, SystemId } from '../schemas';
import {
  type HotHit,
  type HotIndexHit,
  type HotSearch,
  type HotStore,
  isoToMicros,
  type SearchOptions,
  type TierMover,
  type WarmHit,
} from '../storage';
import type { QueryCache } from './query-cache';
import { ALL_SYSTEMS_SCOPE, inScope, scopeKey, type SystemScope } from './scope';
import { type Deadline, withDeadline } from './timeout';

export const SearchRequest = z
  .object({
    query: z.string().min(1).max(10_000),
    limit: z.number().int().min(1).max(1000).default(10),
    threshold: z.number().min(-1).max(1).optional(),
    system_id: SystemId.optional(),
    project: z.string().min(1).max(200).optional(),
    kind: z.enum(['conversation', 'reflection']).optional(),
    /** inclusive */
    since: IsoTimestamp.optional(),
    /** exclusive */
    until: IsoTimestamp.optional(),
  })
  .refine((r) => !r.since || !r.until || isoToMicros(r.since) < isoToMicros(r.until), {
    message: 'since must be before until',
    path: ['until'],
  });
export type SearchRequest = z.infer<typeof SearchRequest>;

export type SearchHit = HotHit | WarmHit;
export type Tier = SearchHit['tier'];

/** A shard of a tier that gave no answer: its hits are missing from the results. */
export interface FailedShard {
  tier: Tier;
  /** absent: every shard of the tier at once (the shared Qdrant collection) */
  shard?: number | undefined;
  reason: 'timeout' | 'error';
  message: string;
  /** the writer process (lease owner) that reported it, when the search went over NATS */
  writer?: string;
}

/** A writer process that gave no answer in time (or none holds these groups: `writer` none). */
export interface FailedWriter {
  writer: string;
  groups: number[];
  reason: 'timeout' | 'error';
  message: string;
}

/** A part of the fan-out that gave no answer: its hits are missing from the results. */
export type FailedPart = FailedShard | FailedWriter;

export interface SearchResponse {
  query: string;
  /** off: no cache configured; hit: served from the query cache */
  cache: 'hit' | 'miss' | 'off';
  results: SearchHit[];
  total: number;
  embedder: Embedder['info'];
  took_ms: number;
  /** some shard or tier failed or timed out: `failed` lists them */
  partial: boolean;
  failed: FailedPart[];
}

export interface SearchServiceOptions {
  /** each part of the fan-out (a shard of a tier) must answer within this (ms) */
  partTimeoutMs: number;
  /** repeated queries; invalidated by ingest-complete events (api/cache-invalidation.ts) */
  cache?: QueryCache<SearchResponse> | undefined;
  /** the hot tier's search where a shared Qdrant holds the vectors (then no store is needed) */
  hot?: HotSearch | undefined;
}

interface Part {
  tier: Tier;
  shard?: number | undefined;
  run: () => Promise<SearchHit[]>;
}

/**
 * Search over every tier this process holds. Hot: one vector-index search over all shards,
 * then each shard's rows fetched in parallel. Warm: each shard searched on its own. Cold
 * (Parquet objects read back, slow): only for a query naming a system. Every part runs under
 * a timeout; a part that fails or times out is reported, and the others still answer.
 * Results: each record once at its best similarity, at or above the threshold, best first.
 */
export class SearchService implements VectorSearch {
  constructor(
    private readonly store: HotStore | undefined,
    private readonly embedder: Embedder,
    private readonly options: SearchServiceOptions,
    private readonly mover?: TierMover | undefined,
  ) {}

  /**
   * Embedded and cached as `cachedSearch` says. Bulk work of this process gives way to it
   * while it runs (`duringRead`).
   */
  search(req: SearchRequest, scope: SystemScope = ALL_SYSTEMS_SCOPE): Promise<SearchResponse> {
    return duringRead(() => cachedSearch(this.embedder, this.options.cache, this, req, scope));
  }

  /**
   * The search for an already embedded query (by the same embedder), uncached. A scope of
   * some systems and no system_id: each system of the scope is searched on its own (its
   * shard, filtered by its id), so other systems of a shared shard cannot crowd it out.
   */
  async searchVector(
    vector: Float32Array,
    req: SearchRequest,
    scope: SystemScope = ALL_SYSTEMS_SCOPE,
  ): Promise<SearchResponse> {
    const started = performance.now();
    const named = req.system_id;
    const targets = scope === '*' || named !== undefined ? [named] : scope;
    const allowed = named === undefined || inScope(scope, named);
    const partLists = await Promise.all(
      (allowed ? targets : []).map((systemId) =>
        this.partsOf(vector, { ...req, system_id: systemId }, named !== undefined),
      ),
    );
    // every part starts now, so one deadline gives each of them partTimeoutMs
    const settled = await withDeadline(this.options.partTimeoutMs, (deadline) =>
      Promise.all(partLists.flat().map((p) => runPart(p, deadline))),
    );
    const failed = settled.filter((s): s is FailedShard => 'reason' in s);
    const hits = settled.flatMap((s) => ('hits' in s ? s.hits : []));
    return mergedResponse(req, scope, { hits, failed }, this.embedder.info, started);
  }

  /** Cold (Parquet read back, slow) only for a query that names its system. */
  private async partsOf(vector: Float32Array, req: SearchRequest, cold: boolean): Promise<Part[]> {
    const opts = searchOptions(req, this.embedder.info.model);
    return [
      ...(await this.hotParts(vector, opts, req.threshold)),
      ...this.warmParts(vector, opts),
      ...(cold ? this.coldParts(vector, opts) : []),
    ];
  }

  private async hotParts(vector: Float32Array, opts: SearchOptions, threshold?: number) {
    const { hot } = this.options;
    if (hot)
      return (await hot.parts(vector, opts, threshold)).map((p): Part => ({ tier: 'hot', ...p }));
    const store = this.store;
    if (!store) return [];
    const hits = await store.searchIndex(vector, opts);
    const byShard = new Map<number, HotIndexHit[]>();
    for (const hit of hits) {
      if (threshold !== undefined && hit.similarity < threshold) continue;
      const shard = shardOf(hit.system_id);
      const list = byShard.get(shard);
      if (list) list.push(hit);
      else byShard.set(shard, [hit]);
    }
    return [...byShard].map(([shard, list]): Part => ({
      tier: 'hot',
      shard,
      run: () => store.hitRows(shard, list),
    }));
  }

  private warmParts(vector: Float32Array, opts: SearchOptions): Part[] {
    const warm = this.mover?.warm;
    if (!warm) return [];
    const shards = opts.systemId ? [shardOf(opts.systemId)] : warm.shards;
    return shards.map((shard) => ({
      tier: 'warm',
      shard,
      run: () => warm.search(vector, { ...opts, shards: [shard] }),
    }));
  }

  private coldParts(vector: Float32Array, opts: SearchOptions): Part[] {
    const { mover, store } = this;
    const systemId = opts.systemId;
    if (!mover || !systemId || !store) return [];
    const run = async () => {
      const conn = await store.connect();
      try {
        // the part's own timeout also stops the downloads and the scan, not only the wait
        const stop = AbortSignal.timeout(this.options.partTimeoutMs);
        return await mover.cold.search(conn, vector, { ...opts, systemId }, stop);
      } finally {
        conn.closeSync();
      }
    };
    return [{ tier: 'cold', shard: shardOf(systemId), run }];
  }
}

/** A part's hits, or why it has none: it failed or missed the deadline. */
async function runPart(
  part: Part,
  deadline: Deadline,
): Promise<{ hits: SearchHit[] } | FailedShard> {
  const { tier, shard } = part;
  try {
    return { hits: await deadline.race(part.run()) };
  } catch (err) {
    const timedOut = err instanceof Error && err.name === 'TimeoutError';
    return { tier, shard, reason: timedOut ? 'timeout' : 'error', message: String(err) };
  }
}

function searchOptions(req: SearchRequest, model: string): SearchOptions {
  const filter = {
    ...(req.project !== undefined && { project: req.project }),
    ...(req.kind !== undefined && { kind: req.kind }),
    ...(req.since !== undefined && { since: req.since }),
    ...(req.until !== undefined && { until: req.until }),
  };
  return { limit: req.limit, systemId: req.system_id, filter, model };
}

/**
 * The answer of a search from every part's hits: those of the scope's systems merged
 * (`mergeHits`), and the parts that failed. `started`: performance.now() at its start.
 */
export function mergedResponse(
  req: SearchRequest,
  scope: SystemScope,
  parts: { hits: SearchHit[]; failed: FailedPart[] },
  embedder: Embedder['info'],
  started: number,
): SearchResponse {
  const visible = parts.hits.filter((h) => inScope(scope, h.system_id));
  const results = mergeHits(visible, req.limit, req.threshold);
  return {
    query: req.query,
    cache: 'off',
    results,
    total: results.length,
    embedder,
    took_ms: performance.now() - started,
    partial: parts.failed.length > 0,
    failed: parts.failed,
  };
}

/**
 * Best first, one hit per (system_id, id), at or above the threshold, at most limit. Equal
 * similarities are ordered by system_id and id, so the order does not depend on which part
 * (or writer process) answered first.
 */
export function mergeHits(hits: SearchHit[], limit: number, threshold?: number): SearchHit[] {
  const best = new Map<string, SearchHit>();
  for (const hit of hits) {
    if (threshold !== undefined && hit.similarity < threshold) continue;
    const key = `${hit.system_id}\u001f${hit.id}`;
    const seen = best.get(key);
    if (!seen || hit.similarity > seen.similarity) best.set(key, hit);
  }
  return [...best.values()].sort(bestFirst).slice(0, limit);
}

const bestFirst = (a: SearchHit, b: SearchHit): number =>
  b.similarity - a.similarity ||
  (a.system_id < b.system_id ? -1 : a.system_id > b.system_id ? 1 : 0) ||
  (a.id < b.id ? -1 : a.id > b.id ? 1 : 0);

/** What answers a search for an already embedded query: this process's tiers, or the writers'. */
export interface VectorSearch {
  searchVector(
    vector: Float32Array,
    req: SearchRequest,
    scope: SystemScope,
  ): Promise<SearchResponse>;
}

/**
 * The query embedded once, then searched by `backend`, through the query cache when there is
 * one. Only records of the `scope`'s systems come back, whatever the filters (the caller
 * refuses a system_id outside it). Complete answers are cached under a key that holds the
 * scope; a partial one is not (the next query may do better).
 */
export async function cachedSearch(
  embedder: Embedder,
  cache: QueryCache<SearchResponse> | undefined,
  backend: VectorSearch,
  req: SearchRequest,
  scope: SystemScope,
): Promise<SearchResponse> {
  const compute = async () => {
    const [vector] = await embedder.embed([req.query]);
    return backend.searchVector(vector!, req, scope);
  };
  if (!cache) return { ...(await compute()), cache: 'off' };
  const started = performance.now();
  const request = { ...req, model: embedder.info.model, scope: scopeKey(scope) };
  const { value, hit } = await cache.getOrCompute(
    request,
    req.system_id,
    compute,
    (r) => !r.partial,
  );
  if (!hit) return { ...value, cache: 'miss' };
  const results = value.results.filter((r) => inScope(scope, r.system_id));
  return {
    ...value,
    results,
    total: results.length,
    cache: 'hit',
    took_ms: performance.now() - started,
  };
}
