import { createHash } from 'node:crypto';
import type { JetStreamClient } from '@nats-io/jetstream';
import { AkoshaError, issuesFrom } from '../infra';
import {
  entityId,
  type GraphEntity,
  type GraphMention,
  GraphMessage,
  type GraphMessageInput,
  graphMsgId,
  type GraphRelation,
  normaliseEntityPart,
  shardOf,
} from '../schemas';
import { subjects } from '../streams';

/** Headroom for headers and protocol framing below the server's max_payload. */
const FRAME_BYTES = 8 * 1024;
const MAX_BATCH_ID_CHARS = 100;
const BATCH_KEY_CHARS = 12;

export interface GraphPublishResult {
  messages: number;
  /** messages the broker already had (same Nats-Msg-Id within its duplicate window) */
  duplicates: number;
}

/**
 * Publishes one graph message and waits for the broker's ack of each piece. A message
 * above the server's max payload is split into several with batch ids `<batch_id>_<n>`;
 * each has its own Nats-Msg-Id, so a retried publish never stores a piece twice.
 */
export async function publishGraph(
  js: JetStreamClient,
  message: GraphMessageInput,
  opts: { maxPayloadBytes: number },
): Promise<GraphPublishResult> {
  const parsed = GraphMessage.safeParse(message);
  if (!parsed.success)
    throw new AkoshaError('SCHEMA_INVALID', 'graph message does not match akosha.graph.v1', {
      issues: issuesFrom(parsed.error.issues),
    });
  const valid = parsed.data;
  const subject = subjects.graph(shardOf(valid.system_id), valid.system_id);
  const pieces = splitGraphMessage(valid, opts.maxPayloadBytes - FRAME_BYTES);
  const acks = await Promise.all(
    pieces.map((piece) =>
      js.publish(subject, JSON.stringify(piece), {
        msgID: graphMsgId(piece.system_id, piece.batch_id),
      }),
    ),
  );
  return { messages: acks.length, duplicates: acks.filter((a) => a.duplicate).length };
}

type Unit =
  | { entity: GraphEntity; mentions: GraphMention[] }
  | { relation: GraphRelation }
  | { mention: GraphMention };

/**
 * Greedy packing below maxBytes in the order entities (each with the mentions of it),
 * relations, other mentions. The message itself when it fits.
 */
export function splitGraphMessage(message: GraphMessage, maxBytes: number): GraphMessage[] {
  if (Buffer.byteLength(JSON.stringify(message)) <= maxBytes) return [message];
  const empty = (): GraphMessage => ({ ...message, entities: [], relations: [], mentions: [] });
  const base = Buffer.byteLength(JSON.stringify({ ...empty(), batch_id: 'x'.repeat(100) }));
  const units = unitsOf(message, maxBytes - base);
  const pieces: GraphMessage[] = [];
  let current = empty();
  let size = base;
  for (const unit of units) {
    const bytes = unitBytes(unit);
    if (size + bytes > maxBytes && size > base) {
      pieces.push(current);
      current = empty();
      size = base;
    }
    addUnit(current, unit);
    size += bytes;
  }
  pieces.push(current);
  return pieces.map((piece, i) => ({ ...piece, batch_id: pieceBatchId(message.batch_id, i + 1) }));
}

/** roomBytes: what a message holds besides its envelope */
function unitsOf(message: GraphMessage, roomBytes: number): Unit[] {
  const byEntity = mentionsByEntity(message);
  const loose = new Set(message.mentions);
  const units: Unit[] = [];
  for (const entity of message.entities) {
    const own = (byEntity.get(entity) ?? []).filter((m) => loose.has(m));
    own.forEach((m) => loose.delete(m));
    const unit = { entity, mentions: own };
    // too big together: the entity alone, its mentions travel on their own
    if (unitBytes(unit) > roomBytes) {
      units.push({ entity, mentions: [] });
      units.push(...own.map((mention) => ({ mention })));
    } else units.push(unit);
  }
  units.push(...message.relations.map((relation) => ({ relation })));
  units.push(...[...loose].map((mention) => ({ mention })));
  for (const unit of units) assertFits(unit, roomBytes);
  return units;
}

/** A mention belongs to the first entity of the same name (and type, when it names one). */
function mentionsByEntity(message: GraphMessage): Map<GraphEntity, GraphMention[]> {
  const byId = new Map<string, GraphEntity>();
  const byName = new Map<string, GraphEntity>();
  for (const e of message.entities) {
    if (!byId.has(entityId(e.entity_type, e.name))) byId.set(entityId(e.entity_type, e.name), e);
    if (!byName.has(normaliseEntityPart(e.name))) byName.set(normaliseEntityPart(e.name), e);
  }
  const result = new Map<GraphEntity, GraphMention[]>();
  for (const m of message.mentions) {
    const ref = m.entity;
    const owner =
      ref.entity_type === undefined
        ? byName.get(normaliseEntityPart(ref.name))
        : byId.get(entityId(ref.entity_type, ref.name));
    if (owner) result.set(owner, [...(result.get(owner) ?? []), m]);
  }
  return result;
}

function addUnit(piece: GraphMessage, unit: Unit): void {
  if ('entity' in unit) {
    piece.entities.push(unit.entity);
    piece.mentions.push(...unit.mentions);
  } else if ('relation' in unit) piece.relations.push(unit.relation);
  else piece.mentions.push(unit.mention);
}

/** Bytes the unit adds to a message: its JSON plus a comma per array element. */
function unitBytes(unit: Unit): number {
  if ('entity' in unit)
    return (
      Buffer.byteLength(JSON.stringify(unit.entity)) +
      1 +
      unit.mentions.reduce((sum, m) => sum + Buffer.byteLength(JSON.stringify(m)) + 1, 0)
    );
  return Buffer.byteLength(JSON.stringify('relation' in unit ? unit.relation : unit.mention)) + 1;
}

function assertFits(unit: Unit, roomBytes: number): void {
  if (unitBytes(unit) <= roomBytes) return;
  const what =
    'entity' in unit
      ? `entity ${unit.entity.source_id}`
      : 'relation' in unit
        ? `relation ${unit.relation.source_id}`
        : `mention of record ${unit.mention.record_id}`;
  throw new AkoshaError('OVERSIZE', `${what} alone exceeds ${roomBytes} bytes`);
}

/** `<batch_id>_<n>`; a batch id too long for that keeps its head plus a hash of the whole. */
export function pieceBatchId(batchId: string, n: number): string {
  const suffix = `_${n}`;
  if (batchId.length + suffix.length <= MAX_BATCH_ID_CHARS) return `${batchId}${suffix}`;
  const key = createHash('sha256').update(batchId).digest('hex').slice(0, BATCH_KEY_CHARS);
  const head = batchId.slice(0, MAX_BATCH_ID_CHARS - suffix.length - key.length - 1);
  return `${head}_${key}${suffix}`;
}
