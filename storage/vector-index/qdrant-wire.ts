import { qdrantPointIdOf } from './keys';
import type { Schemas } from './qdrant-module';
import { compileFilter, isoToEpochMs, type IndexPoint, type SearchFilter } from './types';

/** How records and filters look on the wire to Qdrant. */

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
    payload: { ...p.extra, ...p.payload, timestamp_ms: isoToEpochMs(p.payload.timestamp) },
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

/** Points of one hot shard. */
export const shardFilter = (shard: number): Schemas['Filter'] => ({
  must: [{ key: 'shard', match: { value: shard } }],
});
