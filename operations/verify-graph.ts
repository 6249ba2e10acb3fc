import type { NatsConnection } from '@nats-io/transport-node';
import type { GraphMessage } from '../schemas';
import { type GraphCounts, type GraphStore, storedEnd } from '../storage';
import { forEachGraphMessage } from './graph-stream';

export interface GraphVerification {
  /** what the valid messages of AKOSHA_GRAPH state: one statement per (system_id, source_id) */
  stream: GraphCounts;
  store: GraphCounts;
  /** messages read, and how many of them were invalid (dead-lettered, not expected) */
  messages: number;
  skipped: number;
  ok: boolean;
}

/**
 * Compares the statements AKOSHA_GRAPH would give (the newest per system and source id,
 * one mention per system, record and entity) with the counts the graph store holds.
 * Messages older than the stream's max age are gone, so their statements count as extra.
 */
export async function verifyGraph(
  nc: NatsConnection,
  store: GraphStore,
  maxMessageBytes: number,
): Promise<GraphVerification> {
  const keys = {
    entities: new Set<string>(),
    relations: new Set<string>(),
    mentions: new Set<string>(),
  };
  const read = await forEachGraphMessage(nc, maxMessageBytes, (m) => addKeys(m, keys));
  const stream: GraphCounts = {
    entityStatements: keys.entities.size,
    relationStatements: keys.relations.size,
    mentions: keys.mentions.size,
  };
  const held = await store.counts();
  const ok =
    stream.entityStatements === held.entityStatements &&
    stream.relationStatements === held.relationStatements &&
    stream.mentions === held.mentions;
  return { stream, store: held, ...read, ok };
}

function addKeys(
  m: GraphMessage,
  keys: { entities: Set<string>; relations: Set<string>; mentions: Set<string> },
): void {
  for (const e of m.entities) keys.entities.add(JSON.stringify([m.system_id, e.source_id]));
  for (const r of m.relations) keys.relations.add(JSON.stringify([m.system_id, r.source_id]));
  for (const mention of m.mentions) {
    const end = storedEnd(mention.entity);
    keys.mentions.add(JSON.stringify([m.system_id, mention.record_id, end.nameKey, end.givenType]));
  }
}
