/** How a process reaches the hot tier's shared Qdrant collection (AKOSHA_QDRANT_*). */
export interface QdrantHotOptions {
  /** e.g. https://qdrant.internal:6333 */
  url: string;
  /** sent as the `api-key` header; never logged */
  apiKey?: string | undefined;
  collection: string;
  /** per request */
  timeoutMs: number;
  /** HNSW beam at query time (AKOSHA_INDEX_EF_SEARCH) */
  hnswEf: number;
}
