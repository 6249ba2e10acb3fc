/**
 * One interface over the vector indexes of the query service: the embedded usearch HNSW
 * index (one per writer process, `usearch-index.ts`) and Qdrant (`qdrant-index.ts`).
 *
 * Vectors are 384-d (`EMBEDDING_DIM`), L2-normalised; similarity is cosine in [-1, 1]
 * (1 = same direction). Records are keyed by `(system_id, id)`, as in the hot shards.
 */

export interface RecordKey {
  system_id: string;
  id: string;
}

export type IndexTier = 'hot' | 'warm' | 'cold';

export interface PointPayload {
  system_id: string;
  id: string;
  kind: string;
  project: string | null;
  /** ISO-8601; a timestamp without offset is taken as UTC */
  timestamp: string;
  shard: number;
  tier: IndexTier;
}

export interface IndexPoint {
  key: RecordKey;
  vector: Float32Array;
  payload: PointPayload;
  /** more fields kept with the point where the index stores payloads (Qdrant); others ignore them */
  extra?: Record<string, unknown> | undefined;
}

/** Every given field must match. The time range is half-open: `since <= timestamp < until`. */
export interface SearchFilter {
  system_id?: string | undefined;
  project?: string | undefined;
  kind?: string | undefined;
  /** ISO-8601, inclusive */
  since?: string | undefined;
  /** ISO-8601, exclusive */
  until?: string | undefined;
}

export interface IndexSearchOptions {
  limit: number;
  filter?: SearchFilter | undefined;
}

export interface IndexHit {
  key: RecordKey;
  /** cosine similarity in [-1, 1], highest first */
  similarity: number;
}

export interface VectorIndex {
  /** Inserts or replaces (same key → one point, the last vector and payload win). */
  upsert(points: IndexPoint[]): Promise<void>;
  /** Removes the keys; unknown keys are ignored. */
  remove(keys: RecordKey[]): Promise<void>;
  /** The nearest points that pass the filter, most similar first, at most `limit`. */
  search(query: Float32Array, opts: IndexSearchOptions): Promise<IndexHit[]>;
  count(): Promise<number>;
  /** Persists the index where that applies (embedded index); a no-op elsewhere. */
  save?(): Promise<void>;
  close(): Promise<void>;
}

/** Separator between system_id and id when a key is hashed (cannot occur in either). */
export const KEY_SEPARATOR = '\u001f';

export const recordKeyString = (key: RecordKey) => `${key.system_id}${KEY_SEPARATOR}${key.id}`;

/** ISO-8601 → epoch milliseconds (UTC when no offset is given); throws on nonsense. */
export function isoToEpochMs(iso: string): number {
  const hasOffset = /(Z|[+-]\d\d:?\d\d)$/i.test(iso);
  const ms = Date.parse(hasOffset ? iso : `${iso}Z`);
  if (Number.isNaN(ms)) throw new Error(`invalid timestamp: ${iso}`);
  return ms;
}

/** The filter with its time bounds as epoch ms, for adapters and payload checks. */
export interface CompiledFilter {
  system_id?: string;
  project?: string;
  kind?: string;
  sinceMs?: number;
  untilMs?: number;
}

export function compileFilter(filter: SearchFilter | undefined): CompiledFilter | undefined {
  if (!filter) return undefined;
  const out: CompiledFilter = {};
  if (filter.system_id !== undefined) out.system_id = filter.system_id;
  if (filter.project !== undefined) out.project = filter.project;
  if (filter.kind !== undefined) out.kind = filter.kind;
  if (filter.since !== undefined) out.sinceMs = isoToEpochMs(filter.since);
  if (filter.until !== undefined) out.untilMs = isoToEpochMs(filter.until);
  return Object.keys(out).length === 0 ? undefined : out;
}

export function validateLimit(limit: number): number {
  if (!Number.isInteger(limit) || limit < 1) throw new Error(`limit must be a positive integer`);
  return limit;
}
