import { createHash } from 'node:crypto';
import type { JetStreamClient } from '@nats-io/jetstream';
import { z } from 'zod';
import { decodeRecord } from '../../consumers';
import { AkoshaError, type Issue, toAkoshaError } from '../../infra';
import { publishUpload } from '../../producers';
import {
  IsoTimestamp,
  MAX_CONTENT_CHARS,
  type MemoryKind,
  type MemoryRecord,
  normaliseSystemId,
  RECORD_ID_PATTERN,
  type UploadMessage,
} from '../../schemas';

/** system_id of a pushed memory that names no source. */
export const DEFAULT_SYSTEM_ID = 'mcp';
export const MAX_BATCH_MEMORIES = 1000;

export const MemoryText = z
  .string()
  .min(1, 'must not be empty')
  .max(MAX_CONTENT_CHARS, `must be at most ${MAX_CONTENT_CHARS} characters`);
/** Kept when it is a valid 384-d vector; any other vector is dropped and Akosha computes one. */
export const MemoryEmbedding = z.array(z.number()).nullable().optional();
export const MemoryMetadata = z.record(z.string(), z.unknown()).nullable().optional();

/** One memory as Session-Buddy pushes it. */
export const MemoryInput = z.object({
  memory_id: z.string().min(1, 'must not be empty').max(1000),
  text: MemoryText,
  embedding: MemoryEmbedding,
  metadata: MemoryMetadata,
});
export type MemoryInput = z.infer<typeof MemoryInput>;

export interface PushContext {
  js: JetStreamClient;
  maxPayloadBytes: number;
  /** tool name: part of the upload id, so two tools never share one */
  tool: string;
  /** `system_id` argument of the call, used when a memory's metadata names no source */
  systemId?: string | undefined;
  /** time of the call: default timestamp of a memory and created_at of its upload */
  now: Date;
}

export interface PreparedMemory {
  index: number;
  memory_id: string;
  system_id: string;
  record: MemoryRecord;
  input: MemoryInput;
  warnings: string[];
}

export interface MemoryFailure {
  index: number;
  memory_id: string | null;
  error: string;
  issues?: Issue[];
  retryable?: boolean;
}

export interface PublishedUpload {
  upload_id: string;
  system_id: string;
  shard: number;
  records: number;
  seqs: number[];
  /** the broker already had this upload (a retried call) */
  duplicate: boolean;
}

export const sha256Hex = (text: string): string =>
  createHash('sha256').update(text, 'utf8').digest('hex');

/** JSON with object keys sorted, so equal values hash equally whatever their key order. */
export function stableJson(value: unknown): string {
  if (Array.isArray(value)) return `[${value.map(stableJson).join(',')}]`;
  if (value && typeof value === 'object') {
    const entries = Object.entries(value as Record<string, unknown>)
      .filter(([, v]) => v !== undefined)
      .sort(([a], [b]) => (a < b ? -1 : a > b ? 1 : 0));
    return `{${entries.map(([k, v]) => `${JSON.stringify(k)}:${stableJson(v)}`).join(',')}}`;
  }
  return JSON.stringify(value) ?? 'null';
}

/** A memory id that is not a valid record id maps to its cleaned prefix plus a hash of it. */
export function toRecordId(memoryId: string): string {
  if (RECORD_ID_PATTERN.test(memoryId)) return memoryId;
  const cleaned = memoryId.replace(/[^A-Za-z0-9_.:-]/g, '-').slice(0, 80);
  return `${cleaned}:${sha256Hex(memoryId).slice(0, 32)}`;
}

const invalid = (message: string, path: string): AkoshaError =>
  new AkoshaError('INVALID_RECORD', message, { issues: [{ path, message }] });

function systemIdOf(metadata: Record<string, unknown>, ctx: PushContext, warnings: string[]) {
  const source = typeof metadata.source === 'string' && metadata.source.trim();
  const raw = source || ctx.systemId || DEFAULT_SYSTEM_ID;
  let systemId: string;
  try {
    systemId = normaliseSystemId(raw);
  } catch {
    throw invalid(
      `cannot derive a system_id from "${raw}"`,
      source ? 'metadata.source' : 'system_id',
    );
  }
  if (systemId !== raw) warnings.push(`system_id "${raw}" normalised to "${systemId}"`);
  return systemId;
}

/** metadata.created_at as an ISO timestamp (Python's `isoformat(" ")` too); absent → now. */
function timestampOf(metadata: Record<string, unknown>, now: Date): string {
  const created = metadata.created_at;
  if (created === undefined || created === null) return now.toISOString();
  if (typeof created === 'string') {
    const iso = created.trim().replace(/^(\d{4}-\d{2}-\d{2}) /, '$1T');
    if (IsoTimestamp.safeParse(iso).success) return iso;
    const ms = Date.parse(created);
    if (Number.isFinite(ms)) return new Date(ms).toISOString();
  }
  throw invalid(
    `metadata.created_at is not a date: ${JSON.stringify(created)}`,
    'metadata.created_at',
  );
}

function recordOf(input: MemoryInput, kind: MemoryKind, ctx: PushContext, warnings: string[]) {
  const metadata = input.metadata ?? {};
  const id = toRecordId(input.memory_id);
  const tags = metadata.tags;
  const candidate = {
    id,
    kind,
    content: input.text,
    timestamp: timestampOf(metadata, ctx.now),
    project: typeof metadata.project === 'string' ? metadata.project : null,
    ...(Array.isArray(tags) && tags.every((t) => typeof t === 'string') && { tags }),
    metadata: {
      ...metadata,
      ingestion_method: 'mcp_push',
      ...(id !== input.memory_id && { original_memory_id: input.memory_id }),
    },
    embedding: input.embedding ?? null,
  };
  return checkRecord(candidate, warnings);
}

/** Record fields → the argument a caller sent them as. */
const ARGUMENT_OF: Record<string, string> = {
  id: 'memory_id',
  content: 'text',
  timestamp: 'metadata.created_at',
  project: 'metadata.project',
  tags: 'metadata.tags',
};

/** An issue of the record check, named after the argument the caller sent. */
function withArgumentPaths(e: AkoshaError): AkoshaError {
  const issues = e.issues.map(({ path, message }) => {
    const [field = '', ...rest] = path.replace(/^records\.0\.?/, '').split('.');
    return { path: [ARGUMENT_OF[field] ?? field, ...rest].join('.'), message };
  });
  return new AkoshaError(e.code, e.message, { issues });
}

/**
 * The embed stage's own record check, so a memory accepted here is never dead-lettered there.
 * A vector it would reject (wrong size, NaN, all zeros) is dropped: Akosha computes one.
 */
function checkRecord(candidate: Record<string, unknown>, warnings: string[]): MemoryRecord {
  try {
    return decodeRecord(candidate, 0).record;
  } catch (err) {
    const e = toAkoshaError(err);
    if (!e.code.startsWith('EMBEDDING_')) throw withArgumentPaths(e);
    warnings.push(`embedding ignored (${e.message}); Akosha computes one`);
    return checkRecord({ ...candidate, embedding: null }, warnings);
  }
}

/** Maps memories to upload records; a memory that cannot be mapped fails alone. */
export function prepareMemories(
  items: { index: number; input: MemoryInput }[],
  kind: (input: MemoryInput) => MemoryKind,
  ctx: PushContext,
): { prepared: PreparedMemory[]; failures: MemoryFailure[] } {
  const prepared: PreparedMemory[] = [];
  const failures: MemoryFailure[] = [];
  for (const { index, input } of items) {
    const warnings: string[] = [];
    try {
      const system_id = systemIdOf(input.metadata ?? {}, ctx, warnings);
      const record = recordOf(input, kind(input), ctx, warnings);
      prepared.push({ index, memory_id: input.memory_id, system_id, record, input, warnings });
    } catch (err) {
      failures.push(failureOf(index, input.memory_id, err));
    }
  }
  return { prepared, failures };
}

export function failureOf(index: number, memoryId: string | null, err: unknown): MemoryFailure {
  const e = toAkoshaError(err);
  const detail = e.issues.map((i) => (i.path ? `${i.path}: ${i.message}` : i.message)).join('; ');
  return {
    index,
    memory_id: memoryId,
    error: detail || e.message,
    ...(e.issues.length > 0 && { issues: e.issues }),
    ...(e.retryable && { retryable: true }),
  };
}

/**
 * One upload per system_id, its id a hash of the tool, the system and the memories as sent,
 * so a retried call is a duplicate at the broker (even where the timestamp defaulted to now).
 */
export function uploadsOf(prepared: PreparedMemory[], ctx: PushContext): UploadMessage[] {
  const bySystem = new Map<string, PreparedMemory[]>();
  for (const p of prepared) {
    const group = bySystem.get(p.system_id);
    if (group) group.push(p);
    else bySystem.set(p.system_id, [p]);
  }
  const createdAt = ctx.now.toISOString();
  return [...bySystem].map(([system_id, group]) => ({
    schema_version: 1,
    upload_id: `mcp-${sha256Hex(stableJson([ctx.tool, system_id, group.map((p) => p.input)])).slice(0, 40)}`,
    system_id,
    created_at: createdAt,
    source: { uploader: `akosha-mcp/${ctx.tool}`, version: '1' },
    records: group.map((p) => p.record),
  }));
}

/**
 * Publishes the prepared memories (one upload per system) and waits for the broker's acks.
 * A memory counts as stored once its upload is acked; a failed publish fails its memories.
 */
export async function publishMemories(
  prepared: PreparedMemory[],
  ctx: PushContext,
): Promise<{ uploads: PublishedUpload[]; stored: PreparedMemory[]; failures: MemoryFailure[] }> {
  const uploads = uploadsOf(prepared, ctx);
  const settled = await Promise.allSettled(
    uploads.map((u) => publishUpload(ctx.js, u, { maxPayloadBytes: ctx.maxPayloadBytes })),
  );
  const published: PublishedUpload[] = [];
  const stored: PreparedMemory[] = [];
  const failures: MemoryFailure[] = [];
  settled.forEach((outcome, i) => {
    const systemId = uploads[i]!.system_id;
    const members = prepared.filter((p) => p.system_id === systemId);
    if (outcome.status === 'fulfilled') {
      const { upload_id, system_id, shard, records, seqs, duplicate } = outcome.value;
      published.push({ upload_id, system_id, shard, records, seqs, duplicate });
      stored.push(...members);
    } else {
      const err = toAkoshaError(outcome.reason);
      const e = err.code === 'INTERNAL' ? new AkoshaError('PUBLISH_FAILED', err.message) : err;
      failures.push(...members.map((p) => failureOf(p.index, p.memory_id, e)));
    }
  });
  return { uploads: published, stored, failures };
}
