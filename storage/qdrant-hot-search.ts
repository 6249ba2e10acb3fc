import { shardOf } from '../schemas';
import { bestPerRecord, type HotIndexHit } from './hot-index';
import type { HotSearch, HotSearchPart } from './hot-search';
import type { SearchOptions } from './hot-store';
import { qdrantIndexOf } from './qdrant-hot-index';
import type { QdrantHotOptions } from '../infra';
import { toSearchHit, type HotHit } from './search-hit';
import { passagePointId } from './vector-index/hot-source';
import { qdrantPointIdOf } from './vector-index/keys';
import type { QdrantIndex, QdrantPointRead } from './vector-index/qdrant-index';
import type { RetryPolicy } from './vector-index/qdrant-retry';
import { toQdrantFilter } from './vector-index/qdrant-wire';
import { recordKeyString, type RecordKey } from './vector-index/types';

/** The payload fields a hot search result is made of (QdrantHotIndex writes them). */
export const SHOWN_PAYLOAD = [
  'system_id',
  'id',
  'kind',
  'project',
  'timestamp',
  'shard',
  'content',
  'tags',
  'metadata_json',
  'upload_id',
  'passage_start',
  'passage_end',
];

type Payload = QdrantPointRead['payload'];

/** A search has its part timeout (AKOSHA_SEARCH_PART_TIMEOUT_MS): one short retry at most. */
const SEARCH_RETRY: RetryPolicy = { maxRetries: 1, baseDelayMs: 100, maxDelayMs: 500 };

const keyOf = (p: Payload) => recordKeyString({ system_id: String(p.system_id), id: String(p.id) });

/**
 * Hot search over the shared Qdrant collection: results are built from the points' payloads,
 * so no shard file is read and no writer is asked. One query for every shard, then (only when
 * a record's best point is a passage of it and its own point was not among those found) one
 * read of the records' own points for their text.
 */
export class QdrantHotSearch implements HotSearch {
  constructor(private readonly index: QdrantIndex) {}

  static create(opts: QdrantHotOptions): QdrantHotSearch {
    return new QdrantHotSearch(qdrantIndexOf(opts, SEARCH_RETRY));
  }

  async parts(query: Float32Array, opts: SearchOptions, threshold?: number) {
    const systemId = opts.systemId;
    const part: HotSearchPart = {
      shard: systemId === undefined ? undefined : shardOf(systemId),
      run: () => this.hits(query, opts, threshold),
    };
    return [part];
  }

  async hits(query: Float32Array, opts: SearchOptions, threshold?: number): Promise<HotHit[]> {
    const filter = { ...opts.filter, ...(opts.systemId && { system_id: opts.systemId }) };
    // a record may hold several of the nearest points: ask for more, keep the best per record
    const found = await this.index.searchPoints(query, {
      limit: opts.limit * 3,
      filter: toQdrantFilter(filter),
      scoreThreshold: threshold,
      withPayload: SHOWN_PAYLOAD,
    });
    const points = new Map(found.map((p) => [keyOf(p.payload), p.payload]));
    const best = bestPerRecord(
      found.map((p) => ({ key: keyFrom(p.payload), similarity: p.similarity })),
      opts.limit,
    );
    const unread = best.filter((h) => !points.has(recordKeyString(h)));
    const read = await this.index.retrieve(unread.map(qdrantPointIdOf), SHOWN_PAYLOAD);
    for (const p of read) points.set(keyOf(p.payload), p.payload);
    return best.flatMap((hit) => {
      const own = points.get(recordKeyString(hit));
      return own ? [toHotHit(hit, own, passageOf(hit, points))] : [];
    });
  }

  close(): Promise<void> {
    return this.index.close();
  }
}

const keyFrom = (p: Payload): RecordKey => ({ system_id: String(p.system_id), id: String(p.id) });

function passageOf(hit: HotIndexHit, points: Map<string, Payload>): Payload | undefined {
  if (hit.passage === undefined) return undefined;
  const id = passagePointId(hit.id, hit.passage);
  return points.get(recordKeyString({ system_id: hit.system_id, id }));
}

function toHotHit(hit: HotIndexHit, own: Payload, passage: Payload | undefined): HotHit {
  const row = { ...own, metadata: own.metadata_json, similarity: hit.similarity };
  return {
    ...toSearchHit(row, 'hot'),
    ...(passage && {
      passage: {
        index: hit.passage!,
        start: Number(passage.passage_start),
        end: Number(passage.passage_end),
      },
    }),
  };
}
