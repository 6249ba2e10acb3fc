import {
  type EntityRef,
  GRAPH_SCHEMA_VERSION,
  type GraphMessageInput,
  IsoTimestamp,
  normaliseSystemId,
} from '../../schemas';
import { DEFAULT_SYSTEM_ID, sha256Hex, stableJson } from './ingest';

/** The graph schema's bound of a source id. */
const MAX_SOURCE_ID_CHARS = 200;
/**
 * A call's batch id holds the minute it was made. A client retries within seconds, so its
 * retry lands in the same minute with the same statement: the same Nats-Msg-Id, which the
 * broker drops as a duplicate. A retry across the minute's end is one more message, which
 * applies as the same statement. A statement changed and changed back within one minute
 * keeps the middle version: the last one is taken for a retry of the first.
 */
const BATCH_TIME_MS = 60_000;

/** Entities and relations are scoped by the sending system, like memories. */
export function systemOf(metadata: Record<string, unknown>): string {
  const source = typeof metadata.source === 'string' ? metadata.source : '';
  try {
    return normaliseSystemId(source || DEFAULT_SYSTEM_ID);
  } catch {
    return DEFAULT_SYSTEM_ID;
  }
}

/** `type:name` names an entity with its type; anything else is a name (an URL stays one). */
export function entityRefOf(text: string): EntityRef {
  const colon = text.indexOf(':');
  const type = text.slice(0, colon).trim();
  const name = text.slice(colon + 1).trim();
  if (colon <= 0 || !type || !name || name.startsWith('/') || /\s/.test(type))
    return { name: text };
  return { name, entity_type: type };
}

export const relationIdOf = (systemId: string, from: string, type: string, to: string) =>
  `relation-${sha256Hex(JSON.stringify([systemId, from, type, to])).slice(0, 32)}`;

/** The statement's id where it fits the schema's bound, else a head of it plus its hash. */
export function sourceIdOf(id: string): string {
  if (id.length <= MAX_SOURCE_ID_CHARS) return id;
  return `${id.slice(0, MAX_SOURCE_ID_CHARS - 33)}#${sha256Hex(id).slice(0, 32)}`;
}

export interface StatementContext {
  tool: string;
  systemId: string;
  now: Date;
  metadata: Record<string, unknown>;
}

/** Times of a statement: updated now; created when the sender says so validly. */
export function timesOf(ctx: StatementContext): { created_at?: string; updated_at: string } {
  const created = ctx.metadata.created_at;
  const valid = typeof created === 'string' && IsoTimestamp.safeParse(created).success;
  return { ...(valid && { created_at: created }), updated_at: ctx.now.toISOString() };
}

/**
 * One graph message holding one statement; its batch id is the minute and a hash of the
 * call's arguments as sent (the statement without the time it was made).
 */
export function graphMessageOf(
  ctx: StatementContext,
  args: unknown,
  statement: Pick<GraphMessageInput, 'entities' | 'relations'>,
): GraphMessageInput {
  const minute = Math.floor(ctx.now.getTime() / BATCH_TIME_MS);
  const stamp = new Date(minute * BATCH_TIME_MS).toISOString().slice(0, 16).replace(/\D/g, '');
  const key = sha256Hex(stableJson([ctx.tool, ctx.systemId, args])).slice(0, 32);
  return {
    schema_version: GRAPH_SCHEMA_VERSION,
    system_id: ctx.systemId,
    batch_id: `mcp_${stamp}_${key}`,
    created_at: ctx.now.toISOString(),
    source: { uploader: `akosha-mcp/${ctx.tool}`, version: '1' },
    ...statement,
  };
}
