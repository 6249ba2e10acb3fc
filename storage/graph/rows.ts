import { createHash } from 'node:crypto';
import { listValue, timestampValue, type DuckDBValue } from '@duckdb/node-api';
import {
  entityId,
  type EntityRef,
  type GraphEntity,
  type GraphMessage,
  type GraphRelation,
  normaliseEntityPart,
} from '../../schemas';
import { isoToMicros } from '../time';

/** An end as stored: typed ends are fixed now, untyped ones (id null) are resolved in SQL. */
interface StoredEnd {
  nameKey: string;
  givenType: string;
  id: string | null;
  type: string | null;
}

export function storedEnd(ref: EntityRef): StoredEnd {
  const nameKey = normaliseEntityPart(ref.name);
  if (ref.entity_type === undefined) return { nameKey, givenType: '', id: null, type: null };
  const type = normaliseEntityPart(ref.entity_type);
  return { nameKey, givenType: type, id: entityId(type, ref.name), type };
}

/** What decides between two statements of one source id: newer first, then the larger digest. */
interface Versioned {
  source_id: string;
  updatedMicros: bigint;
  digest: string;
}

const digestOf = (parts: unknown[]) =>
  createHash('sha256').update(JSON.stringify(parts)).digest('hex');
const ts = (iso: string | undefined) =>
  iso === undefined ? null : timestampValue(isoToMicros(iso));

/**
 * One statement per source id within a message, chosen by the same rule as across messages,
 * so a message that states a source id twice gives the same result in any order.
 */
function winners<T extends Versioned>(items: T[]): T[] {
  const best = new Map<string, T>();
  for (const item of items) {
    const held = best.get(item.source_id);
    if (!held || beats(item, held)) best.set(item.source_id, item);
  }
  return [...best.values()];
}

const beats = (a: Versioned, b: Versioned) =>
  a.updatedMicros > b.updatedMicros || (a.updatedMicros === b.updatedMicros && a.digest > b.digest);

const versioned = <T extends { source_id: string; updated_at: string }>(item: T) => ({
  ...item,
  updatedMicros: isoToMicros(item.updated_at),
  digest: digestOf(Object.entries(item).sort(([a], [b]) => a.localeCompare(b))),
});

export function entityRows(m: GraphMessage): DuckDBValue[][] {
  return winners(m.entities.map((e: GraphEntity) => versioned(e))).map((e) => {
    const type = normaliseEntityPart(e.entity_type);
    return [
      m.system_id,
      e.source_id,
      entityId(type, e.name),
      type,
      e.name,
      normaliseEntityPart(e.name),
      listValue(e.observations),
      JSON.stringify(e.properties),
      JSON.stringify(e.metadata),
      ts(e.created_at),
      timestampValue(e.updatedMicros),
      e.digest,
    ];
  });
}

export function relationRows(m: GraphMessage): DuckDBValue[][] {
  return winners(m.relations.map((r: GraphRelation) => versioned(r))).map((r) => {
    const from = storedEnd(r.from);
    const to = storedEnd(r.to);
    return [
      m.system_id,
      r.source_id,
      ...[from.nameKey, from.givenType, from.id, from.type],
      ...[to.nameKey, to.givenType, to.id, to.type],
      normaliseEntityPart(r.relation_type),
      JSON.stringify(r.properties),
      JSON.stringify(r.metadata),
      ts(r.created_at),
      timestampValue(r.updatedMicros),
      r.digest,
    ];
  });
}

/** Mentions keyed by (record, name, given type); a repeat within the message is one mention. */
export function mentionRows(m: GraphMessage): DuckDBValue[][] {
  const rows = new Map<string, DuckDBValue[]>();
  for (const mention of m.mentions) {
    const end = storedEnd(mention.entity);
    const key = JSON.stringify([mention.record_id, end.nameKey, end.givenType]);
    rows.set(key, [m.system_id, mention.record_id, end.nameKey, end.givenType, end.id, end.type]);
  }
  return [...rows.values()];
}
