import { createHash } from 'node:crypto';
import type { z } from 'zod';
import {
  entityId,
  EntityRef,
  GraphEntity,
  GraphMention,
  GraphRelation,
  RECORD_ID_PATTERN,
} from '../../schemas';
import type { GraphQuery } from './graph-tables';
import { mappedRecordId, parseMetadata, type SkippedRow } from './rows';

/** Reason codes of rows that cannot become a graph statement. */
export type GraphSkipCode =
  'NO_ID' | 'NO_TIMESTAMP' | 'UNRESOLVED_ENTITY' | 'INVALID' | 'UNMAPPED_TABLE' | 'TOO_LARGE';

export type GraphStatement =
  { entity: GraphEntity } | { relation: GraphRelation } | { mention: GraphMention };

export type MappedStatement = GraphStatement | { skip: SkippedRow };

type Row = Record<string, unknown>;

export function graphSkip(table: string, id: string | null, code: GraphSkipCode, detail = '') {
  return { table, id, reason: detail ? `${code}: ${detail}` : code };
}

export function toStatement(query: GraphQuery, row: Row): MappedStatement {
  switch (query.kind) {
    case 'kgEntity':
      return toKgEntity(query.table, row);
    case 'memoryEntity':
      return toMemoryEntity(query.table, row);
    case 'mention':
      return toMention(query.table, row);
    default:
      return toRelation(query, row);
  }
}

function toKgEntity(table: string, row: Row): MappedStatement {
  const id = str(row.id);
  if (id === null) return { skip: graphSkip(table, null, 'NO_ID') };
  if (str(row.updated_at) === null) return { skip: graphSkip(table, id, 'NO_TIMESTAMP') };
  const candidate = {
    source_id: id,
    name: row.name,
    entity_type: row.entity_type,
    observations: Array.isArray(row.observations)
      ? row.observations.filter((o): o is string => typeof o === 'string')
      : [],
    properties: parseMetadata(row.properties),
    metadata: parseMetadata(row.metadata),
    ...optionalTimestamp(row.created_at),
    updated_at: row.updated_at,
  };
  return checked(GraphEntity, candidate, table, id, (entity) => ({ entity }));
}

/** A grouped memory entity: its source id is derived from the entity id, stable across imports. */
function toMemoryEntity(table: string, row: Row): MappedStatement {
  const name = str(row.name) ?? '';
  const type = str(row.entity_type) ?? '';
  const key = entityId(type, name);
  const sourceId = `${table}:${createHash('sha256').update(key).digest('hex').slice(0, 40)}`;
  if (str(row.updated_at) === null) return { skip: graphSkip(table, key, 'NO_TIMESTAMP') };
  const candidate = {
    source_id: sourceId,
    name,
    entity_type: type,
    metadata: { session_buddy_table: table },
    ...optionalTimestamp(row.created_at),
    updated_at: row.updated_at,
  };
  return checked(GraphEntity, candidate, table, key, (entity) => ({ entity }));
}

/** The memory is named by the record id the record importer gives it. */
function toMention(table: string, row: Row): MappedStatement {
  const id = str(row.id);
  if (id === null) return { skip: graphSkip(table, null, 'NO_ID') };
  const memoryId = str(row.memory_id);
  if (memoryId === null) return { skip: graphSkip(table, id, 'INVALID', 'no memory_id') };
  const candidate = {
    record_id: sessionBuddyRecordId(memoryId),
    entity: { name: row.name, entity_type: row.entity_type },
  };
  return checked(GraphMention, candidate, table, id, (mention) => ({ mention }));
}

function toRelation(query: GraphQuery, row: Row): MappedStatement {
  const { table } = query;
  const id = str(row.id);
  if (id === null) return { skip: graphSkip(table, null, 'NO_ID') };
  if (str(row.updated_at) === null) return { skip: graphSkip(table, id, 'NO_TIMESTAMP') };
  const from = endRef(row.from_ref, row.from_name, row.from_type);
  const to = endRef(row.to_ref, row.to_name, row.to_type);
  if (!from || !to) {
    const end = from ? row.to_ref : row.from_ref;
    return { skip: graphSkip(table, id, 'UNRESOLVED_ENTITY', `no entity ${JSON.stringify(end)}`) };
  }
  const memory = query.kind === 'memoryRelation';
  const candidate = {
    source_id: memory ? `${table}:${id}` : id,
    from,
    to,
    relation_type: row.relation_type,
    properties: memory ? strengthOf(row.strength) : parseMetadata(row.properties),
    metadata: memory ? { session_buddy_table: table } : parseMetadata(row.metadata),
    ...optionalTimestamp(row.created_at),
    updated_at: row.updated_at,
  };
  return checked(GraphRelation, candidate, table, id, (relation) => ({ relation }));
}

/**
 * A resolved end carries the entity's name and type. An end missing from the file is kept as
 * a name reference when it reads like a name, and dropped when it reads like an id.
 */
function endRef(ref: unknown, name: unknown, type: unknown): EntityRef | null {
  if (typeof name === 'string')
    return typeof type === 'string' ? { name, entity_type: type } : { name };
  if (typeof ref !== 'string' || ref.trim() === '' || looksLikeId(ref)) return null;
  return { name: ref };
}

const ID_FORMS = [
  /^[0-9a-f]{8}-[0-9a-f]{4}-[0-9a-f]{4}-[0-9a-f]{4}-[0-9a-f]{12}$/i, // UUID
  /^[0-9A-HJKMNP-TV-Z]{26}$/, // ULID
  /^[0-9a-f]{16,}$/i, // hex digest
];

export function looksLikeId(value: string): boolean {
  return ID_FORMS.some((form) => form.test(value.trim()));
}

/** As the record importer maps it (rows.ts toMemoryRecord). */
export function sessionBuddyRecordId(originalId: string): string {
  return RECORD_ID_PATTERN.test(originalId) ? originalId : mappedRecordId(originalId);
}

function strengthOf(strength: unknown): Record<string, unknown> {
  return typeof strength === 'number' && Number.isFinite(strength) ? { strength } : {};
}

function optionalTimestamp(value: unknown): { created_at?: string } {
  return typeof value === 'string' ? { created_at: value } : {};
}

function str(value: unknown): string | null {
  return typeof value === 'string' && value !== '' ? value : null;
}

function checked<S extends z.ZodType>(
  schema: S,
  candidate: unknown,
  table: string,
  id: string,
  wrap: (value: z.output<S>) => GraphStatement,
): MappedStatement {
  const parsed = schema.safeParse(candidate);
  if (parsed.success) return wrap(parsed.data);
  const detail = parsed.error.issues
    .map((i) => `${i.path.join('.') || 'row'}: ${i.message}`)
    .join('; ');
  return { skip: graphSkip(table, id, 'INVALID', detail) };
}
