import { QdrantClient, type Schemas } from './qdrant-module';
import { QDRANT_DEFAULTS } from '../../infra';
import { EMBEDDING_DIM } from '../../schemas';
import { qdrantPointIdOf } from './keys';
import { clampSimilarity } from './point-store';
import { DEFAULT_RETRY, withRetry, type RetryPolicy } from './qdrant-retry';
import {
  DEFAULT_COLLECTION_SETTINGS,
  ensureCollection,
  searchParams,
  type CollectionSettings,
} from './qdrant-collection';
import { toQdrantFilter, toQdrantPoint } from './qdrant-wire';
import {
  validateLimit,
  type IndexHit,
  type IndexPoint,
  type IndexSearchOptions,
  type RecordKey,
  type VectorIndex,
} from './types';

export interface QdrantIndexOptions {
  /** e.g. http://127.0.0.1:6333 */
  url: string;
  apiKey?: string | undefined;
  /** one collection per tier: `akosha_hot`, `akosha_warm`, … */
  collection: string;
  dimensions?: number | undefined;
  retry?: Partial<RetryPolicy> | undefined;
  /** points per upsert request; default 256 */
  batchSize?: number | undefined;
  /** per-request timeout; default 10 s */
  timeoutMs?: number | undefined;
  /** how a collection this index creates is laid out (DEFAULT_COLLECTION_SETTINGS) */
  settings?: Partial<CollectionSettings> | undefined;
  /** HNSW beam at query time; default 128 (the embedded index's ef) */
  hnswEf?: number | undefined;
}

export { PAYLOAD_INDEXES } from './qdrant-collection';
export { toQdrantFilter, toQdrantPoint } from './qdrant-wire';

/** A point found or read back: its id and the payload fields asked for. */
export interface QdrantPointRead {
  id: string;
  payload: Record<string, unknown>;
}

export interface PointSearchOptions {
  limit: number;
  filter?: Schemas['Filter'] | undefined;
  /** only points at least this similar */
  scoreThreshold?: number | undefined;
  withPayload: string[];
}

/**
 * The vector index on a Qdrant server: one collection (per tier) with 384-d cosine vectors and
 * payload indexes on system_id, project, kind, timestamp_ms and shard (qdrant-collection.ts).
 * Point ids derive from the record key, every write waits for the server (`wait: true`), and
 * 429/503 answers are retried after the server's Retry-After (bounded).
 */
export class QdrantIndex implements VectorIndex {
  readonly client: QdrantClient;
  readonly collection: string;
  readonly timeoutMs: number;
  private readonly dimensions: number;
  private readonly retry: RetryPolicy;
  private readonly batchSize: number;
  private readonly settings: CollectionSettings;
  private readonly params: Schemas['SearchParams'];
  private closed = false;

  /** Does not touch the server; `connect` also creates the collection when missing. */
  constructor(opts: QdrantIndexOptions) {
    this.timeoutMs = opts.timeoutMs ?? QDRANT_DEFAULTS.timeoutMs;
    this.client = new QdrantClient({
      url: opts.url,
      ...(opts.apiKey !== undefined && opts.apiKey !== '' ? { apiKey: opts.apiKey } : {}),
      timeout: this.timeoutMs,
      checkCompatibility: false,
    });
    this.collection = opts.collection;
    this.dimensions = opts.dimensions ?? EMBEDDING_DIM;
    this.retry = { ...DEFAULT_RETRY, ...opts.retry };
    this.batchSize = opts.batchSize ?? 256;
    this.settings = { ...DEFAULT_COLLECTION_SETTINGS, ...opts.settings };
    this.params = searchParams(opts.hnswEf ?? QDRANT_DEFAULTS.hnswEf, this.settings);
  }

  static async connect(opts: QdrantIndexOptions): Promise<QdrantIndex> {
    const index = new QdrantIndex(opts);
    await index.ensureCollection();
    return index;
  }

  private call<T>(fn: () => Promise<T>): Promise<T> {
    if (this.closed) return Promise.reject(new Error('vector index is closed'));
    return withRetry(fn, this.retry);
  }

  /** Creates the collection and its payload indexes when missing; checks an existing one. */
  ensureCollection(): Promise<void> {
    const call = <T>(fn: () => Promise<T>) => this.call(fn);
    return ensureCollection(call, this.client, this.collection, this.dimensions, this.settings);
  }

  async upsert(points: IndexPoint[]): Promise<void> {
    const byId = new Map<string, ReturnType<typeof toQdrantPoint>>();
    for (const p of points) {
      if (p.vector.length !== this.dimensions) {
        throw new Error(`vector has ${p.vector.length} dimensions, not ${this.dimensions}`);
      }
      const point = toQdrantPoint(p);
      byId.set(point.id, point);
    }
    const all = [...byId.values()];
    for (let i = 0; i < all.length; i += this.batchSize) {
      const batch = all.slice(i, i + this.batchSize);
      await this.call(() => this.client.upsert(this.collection, { wait: true, points: batch }));
    }
  }

  async remove(keys: RecordKey[]): Promise<void> {
    await this.removeIds(keys.map(qdrantPointIdOf));
  }

  /** Removes points by their Qdrant ids; unknown ids are ignored. */
  async removeIds(pointIds: string[]): Promise<void> {
    const ids = [...new Set(pointIds)];
    for (let i = 0; i < ids.length; i += this.batchSize) {
      const batch = ids.slice(i, i + this.batchSize);
      await this.call(() => this.client.delete(this.collection, { wait: true, points: batch }));
    }
  }

  async search(query: Float32Array, opts: IndexSearchOptions): Promise<IndexHit[]> {
    const found = await this.searchPoints(query, {
      limit: validateLimit(opts.limit),
      filter: toQdrantFilter(opts.filter),
      withPayload: ['system_id', 'id'],
    });
    return found.map((p) => ({
      key: { system_id: String(p.payload.system_id), id: String(p.payload.id) },
      similarity: p.similarity,
    }));
  }

  /** The nearest points with the payload fields asked for, most similar first. */
  async searchPoints(
    query: Float32Array,
    opts: PointSearchOptions,
  ): Promise<(QdrantPointRead & { similarity: number })[]> {
    if (query.length !== this.dimensions) {
      throw new Error(`query has ${query.length} dimensions, not ${this.dimensions}`);
    }
    const { filter, scoreThreshold } = opts;
    const res = await this.call(() =>
      this.client.query(this.collection, {
        query: Array.from(query),
        limit: opts.limit,
        params: this.params,
        with_payload: opts.withPayload,
        with_vector: false,
        ...(filter && { filter }),
        ...(scoreThreshold !== undefined && { score_threshold: scoreThreshold }),
      }),
    );
    return res.points.map((p) => ({
      id: String(p.id),
      payload: p.payload ?? {},
      similarity: clampSimilarity(p.score),
    }));
  }

  /** Points by id with the payload fields asked for; ids without a point are left out. */
  async retrieve(pointIds: string[], withPayload: string[]): Promise<QdrantPointRead[]> {
    if (pointIds.length === 0) return [];
    const found = await this.call(() =>
      this.client.retrieve(this.collection, {
        ids: pointIds,
        with_payload: withPayload,
        with_vector: false,
      }),
    );
    return found.map((p) => ({ id: String(p.id), payload: p.payload ?? {} }));
  }

  /** Every point passing the filter, page by page (in id order), with the payload fields asked for. */
  async *scroll(
    filter: Schemas['Filter'] | undefined,
    withPayload: string[] | false,
    pageSize = 1000,
  ): AsyncIterable<QdrantPointRead[]> {
    let offset: Schemas['ExtendedPointId'] | undefined;
    do {
      const page = await this.call(() =>
        this.client.scroll(this.collection, {
          limit: pageSize,
          with_payload: withPayload,
          with_vector: false,
          ...(filter && { filter }),
          ...(offset !== undefined && { offset }),
        }),
      );
      if (page.points.length > 0)
        yield page.points.map((p) => ({ id: String(p.id), payload: p.payload ?? {} }));
      const next = page.next_page_offset;
      offset = typeof next === 'string' || typeof next === 'number' ? next : undefined;
    } while (offset !== undefined);
  }

  async count(): Promise<number> {
    return this.countWhere(undefined);
  }

  /** Exact number of points passing the filter. */
  async countWhere(filter: Schemas['Filter'] | undefined): Promise<number> {
    const res = await this.call(() =>
      this.client.count(this.collection, { exact: true, ...(filter && { filter }) }),
    );
    return res.count;
  }

  async save(): Promise<void> {
    // the server persists every acknowledged write (`wait: true`)
  }

  async close(): Promise<void> {
    this.closed = true;
  }
}
