import { QdrantClient, type Schemas } from './qdrant-module';
import { EMBEDDING_DIM } from '../../schemas/record';
import { qdrantPointIdOf } from './keys';
import { clampSimilarity } from './point-store';
import { DEFAULT_RETRY, withRetry, type RetryPolicy } from './qdrant-retry';
import {
  compileFilter,
  isoToEpochMs,
  validateLimit,
  type IndexHit,
  type IndexPoint,
  type IndexSearchOptions,
  type RecordKey,
  type SearchFilter,
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
  /** per-request timeout; default 30 s */
  timeoutMs?: number | undefined;
}

/** Payload fields with a Qdrant payload index (what filters use). */
export const PAYLOAD_INDEXES: [string, Schemas['PayloadSchemaType']][] = [
  ['system_id', 'keyword'],
  ['project', 'keyword'],
  ['kind', 'keyword'],
  ['timestamp_ms', 'integer'],
  ['shard', 'integer'],
];

type QdrantPayload = Record<string, unknown> & IndexPoint['payload'] & { timestamp_ms: number };

/** The point stored for a record: deterministic UUID, payload plus a numeric timestamp. */
export function toQdrantPoint(p: IndexPoint): {
  id: string;
  vector: number[];
  payload: QdrantPayload;
} {
  return {
    id: qdrantPointIdOf(p.key),
    vector: Array.from(p.vector),
    payload: { ...p.payload, timestamp_ms: isoToEpochMs(p.payload.timestamp) },
  };
}

/** Our filter as Qdrant `filter.must` conditions (undefined when nothing is filtered). */
export function toQdrantFilter(filter: SearchFilter | undefined): Schemas['Filter'] | undefined {
  const f = compileFilter(filter);
  if (!f) return undefined;
  const must: Schemas['FieldCondition'][] = [];
  if (f.system_id !== undefined) must.push({ key: 'system_id', match: { value: f.system_id } });
  if (f.project !== undefined) must.push({ key: 'project', match: { value: f.project } });
  if (f.kind !== undefined) must.push({ key: 'kind', match: { value: f.kind } });
  if (f.sinceMs !== undefined || f.untilMs !== undefined) {
    const range: Schemas['Range'] = {};
    if (f.sinceMs !== undefined) range.gte = f.sinceMs;
    if (f.untilMs !== undefined) range.lt = f.untilMs;
    must.push({ key: 'timestamp_ms', range });
  }
  return { must };
}

/**
 * The vector index on a Qdrant server: one collection (per tier) with 384-d cosine vectors and
 * payload indexes on system_id, project, kind, timestamp_ms and shard. Point ids derive from the
 * record key, every write waits for the server (`wait: true`), and 429/503 answers are retried
 * after the server's Retry-After (bounded).
 */
export class QdrantIndex implements VectorIndex {
  readonly client: QdrantClient;
  readonly collection: string;
  private readonly dimensions: number;
  private readonly retry: RetryPolicy;
  private readonly batchSize: number;
  private closed = false;

  /** Does not touch the server; `connect` also creates the collection when missing. */
  constructor(opts: QdrantIndexOptions) {
    this.client = new QdrantClient({
      url: opts.url,
      ...(opts.apiKey !== undefined ? { apiKey: opts.apiKey } : {}),
      timeout: opts.timeoutMs ?? 30_000,
      checkCompatibility: false,
    });
    this.collection = opts.collection;
    this.dimensions = opts.dimensions ?? EMBEDDING_DIM;
    this.retry = { ...DEFAULT_RETRY, ...opts.retry };
    this.batchSize = opts.batchSize ?? 256;
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
  async ensureCollection(): Promise<void> {
    const { exists } = await this.call(() => this.client.collectionExists(this.collection));
    if (exists) await this.checkVectors();
    else await this.createCollection();
    for (const [field_name, field_schema] of PAYLOAD_INDEXES) {
      await this.call(() =>
        this.client.createPayloadIndex(this.collection, { field_name, field_schema, wait: true }),
      );
    }
  }

  private async createCollection(): Promise<void> {
    try {
      await this.call(() =>
        this.client.createCollection(this.collection, {
          vectors: { size: this.dimensions, distance: 'Cosine' },
        }),
      );
    } catch (err) {
      // another process created it meanwhile (409, or 400 "already exists" on older servers)
      const { exists } = await this.call(() => this.client.collectionExists(this.collection));
      if (!exists) throw err;
      await this.checkVectors();
    }
  }

  private async checkVectors(): Promise<void> {
    const info = await this.call(() => this.client.getCollection(this.collection));
    const vectors = info.config.params.vectors as { size?: number; distance?: string } | undefined;
    if (vectors?.size !== this.dimensions || vectors.distance !== 'Cosine') {
      throw new Error(
        `Qdrant collection ${this.collection} has vectors ${JSON.stringify(vectors)}, expected ${this.dimensions}-d Cosine`,
      );
    }
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
    const ids = [...new Set(keys.map(qdrantPointIdOf))];
    for (let i = 0; i < ids.length; i += this.batchSize) {
      const batch = ids.slice(i, i + this.batchSize);
      await this.call(() => this.client.delete(this.collection, { wait: true, points: batch }));
    }
  }

  async search(query: Float32Array, opts: IndexSearchOptions): Promise<IndexHit[]> {
    const limit = validateLimit(opts.limit);
    if (query.length !== this.dimensions) {
      throw new Error(`query has ${query.length} dimensions, not ${this.dimensions}`);
    }
    const filter = toQdrantFilter(opts.filter);
    const res = await this.call(() =>
      this.client.query(this.collection, {
        query: Array.from(query),
        limit,
        with_payload: ['system_id', 'id'],
        with_vector: false,
        ...(filter ? { filter } : {}),
      }),
    );
    return res.points.map((p) => ({
      key: { system_id: String(p.payload?.system_id), id: String(p.payload?.id) },
      similarity: clampSimilarity(p.score),
    }));
  }

  async count(): Promise<number> {
    const res = await this.call(() => this.client.count(this.collection, { exact: true }));
    return res.count;
  }

  async save(): Promise<void> {
    // the server persists every acknowledged write (`wait: true`)
  }

  async close(): Promise<void> {
    this.closed = true;
  }
}
