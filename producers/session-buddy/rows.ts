import { createHash } from 'node:crypto';
import { EMBEDDING_DIM, MemoryRecord, RECORD_ID_PATTERN } from '../../schemas';
import { EXTRA_COLUMNS, type SourceTable } from './tables';

export interface SkippedRow {
  table: string;
  id: string | null;
  reason: string;
}

export type Mapped = { record: MemoryRecord } | { skip: SkippedRow };

export function toMemoryRecord(row: Record<string, unknown>, table: SourceTable): Mapped {
  const originalId = typeof row.id === 'string' ? row.id : null;
  const skip = (reason: string): Mapped => ({
    skip: { table: table.name, id: originalId, reason },
  });
  if (originalId === null) return skip('no id');
  if (typeof row.ts !== 'string') return skip('no timestamp');
  const idIsValid = RECORD_ID_PATTERN.test(originalId);
  const candidate: Record<string, unknown> = {
    id: idIsValid ? originalId : mappedRecordId(originalId),
    kind: table.kind,
    content: row.content,
    timestamp: row.ts,
    metadata: recordMetadata(row, table, idIsValid ? undefined : originalId),
  };
  if (typeof row.project === 'string') candidate.project = row.project;
  if (Array.isArray(row.tags))
    candidate.tags = row.tags.filter((t): t is string => typeof t === 'string');
  const embedding = usableEmbedding(row.embedding);
  if (embedding) candidate.embedding = embedding;
  const parsed = MemoryRecord.safeParse(candidate);
  if (!parsed.success) {
    return skip(
      parsed.error.issues.map((i) => `${i.path.join('.') || 'record'}: ${i.message}`).join('; '),
    );
  }
  return { record: parsed.data };
}

/**
 * A record id outside RECORD_ID_PATTERN becomes `sb-` + 40 hex of its sha256: stable across
 * imports, so dedupe by id still works; the original goes to metadata.original_id.
 */
export function mappedRecordId(originalId: string): string {
  return `sb-${createHash('sha256').update(originalId, 'utf8').digest('hex').slice(0, 40)}`;
}

/** The row's own metadata wins over the v2 columns; provenance keys are set last. */
function recordMetadata(
  row: Record<string, unknown>,
  table: SourceTable,
  originalId: string | undefined,
): Record<string, unknown> {
  const metadata: Record<string, unknown> = {};
  for (const { name } of EXTRA_COLUMNS) {
    const value = row[name];
    if (value === null || value === undefined) continue;
    metadata[name] = Array.isArray(value) ? value.filter((v) => v !== null) : value;
  }
  Object.assign(metadata, parseMetadata(row.metadata));
  metadata.session_buddy_table = table.name;
  if (originalId !== undefined) metadata.original_id = originalId;
  return metadata;
}

/** JSON object → as is; other JSON, or text that is not JSON → `{value}`. */
export function parseMetadata(raw: unknown): Record<string, unknown> {
  if (raw === null || raw === undefined) return {};
  let value: unknown = raw;
  if (typeof raw === 'string') {
    try {
      value = JSON.parse(raw);
    } catch {
      return { value: raw };
    }
  }
  if (value === null) return {};
  return typeof value === 'object' && !Array.isArray(value)
    ? (value as Record<string, unknown>)
    : { value };
}

/** Kept only when it has 384 finite numbers; anything else is left for the embed stage to compute. */
function usableEmbedding(raw: unknown): number[] | undefined {
  if (!Array.isArray(raw) || raw.length !== EMBEDDING_DIM) return undefined;
  return raw.every((v): v is number => typeof v === 'number' && Number.isFinite(v))
    ? raw
    : undefined;
}
