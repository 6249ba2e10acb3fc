import { z } from 'zod';
import { RecordId, SystemId, UploadId } from './ids';
import { jsonValueTooDeep, MAX_JSON_DEPTH } from './json-depth';
import { IsoTimestamp } from './record';

export const GRAPH_SCHEMA_VERSION = 1;
export const MAX_GRAPH_ITEMS = 5000;
export const MAX_GRAPH_MENTIONS = 20_000;

/** Lower-case, whitespace collapsed: "  React   Hooks " → "react hooks". */
export function normaliseEntityPart(text: string): string {
  return text.trim().replace(/\s+/g, ' ').toLowerCase();
}

/**
 * The Python Akosha's `type:id` form, as `<entity_type>:<normalised name>`: every system
 * that knows an entity of that type and name names the same entity.
 */
export function entityId(entityType: string, name: string): string {
  return `${normaliseEntityPart(entityType)}:${normaliseEntityPart(name)}`;
}

/** A caller's `type:name` id in the stored form: `Project:React  Hooks` → `project:react hooks`. */
export function normaliseEntityId(id: string): string {
  const colon = id.indexOf(':');
  return colon < 0 ? normaliseEntityPart(id) : entityId(id.slice(0, colon), id.slice(colon + 1));
}

const Json = z.record(z.string(), z.unknown()).refine((m) => !jsonValueTooDeep(m, MAX_JSON_DEPTH), {
  message: `must not nest deeper than ${MAX_JSON_DEPTH} levels`,
});
const Name = z.string().trim().min(1).max(1000);
const TypeName = z.string().trim().min(1).max(200);
/** the sender's own id of an entity or relation (Session-Buddy's kg_entities.id, ...) */
const SourceId = z.string().min(1).max(200);

/**
 * One end of a relation: a name, with its type when the sender knows it. Without a type the
 * graph writer resolves the name against the entities it holds (this system's first).
 */
export const EntityRef = z.object({ name: Name, entity_type: TypeName.optional() });
export type EntityRef = z.infer<typeof EntityRef>;

export const GraphEntity = z.object({
  source_id: SourceId,
  name: Name,
  entity_type: TypeName,
  observations: z.array(z.string().max(100_000)).max(10_000).default([]),
  properties: Json.default({}),
  metadata: Json.default({}),
  created_at: IsoTimestamp.optional(),
  /** the newer of two statements with the same source_id wins */
  updated_at: IsoTimestamp,
});
export type GraphEntity = z.infer<typeof GraphEntity>;

export const GraphRelation = z.object({
  source_id: SourceId,
  from: EntityRef,
  to: EntityRef,
  relation_type: TypeName,
  properties: Json.default({}),
  metadata: Json.default({}),
  created_at: IsoTimestamp.optional(),
  updated_at: IsoTimestamp,
});
export type GraphRelation = z.infer<typeof GraphRelation>;

/** A memory record (same system) mentions an entity: search hits carry it. */
export const GraphMention = z.object({ record_id: RecordId, entity: EntityRef });
export type GraphMention = z.infer<typeof GraphMention>;

/**
 * akosha.graph v1, published on akosha.graph.<shard>.<system_id> with
 * Nats-Msg-Id `graph:<system_id>:<batch_id>`. Applying it twice changes nothing.
 */
export const GraphMessage = z
  .object({
    schema_version: z.literal(GRAPH_SCHEMA_VERSION),
    system_id: SystemId,
    /** unique per batch of this system: derived from the upload id, or from the content */
    batch_id: UploadId,
    created_at: IsoTimestamp,
    source: z
      .object({ uploader: z.string().max(200), version: z.string().max(50) })
      .partial()
      .optional(),
    entities: z.array(GraphEntity).max(MAX_GRAPH_ITEMS).default([]),
    relations: z.array(GraphRelation).max(MAX_GRAPH_ITEMS).default([]),
    mentions: z.array(GraphMention).max(MAX_GRAPH_MENTIONS).default([]),
  })
  .refine(
    (m) => m.entities.length + m.relations.length + m.mentions.length > 0,
    'a graph message carries at least one entity, relation or mention',
  );
export type GraphMessage = z.infer<typeof GraphMessage>;
export type GraphMessageInput = z.input<typeof GraphMessage>;

export const graphMsgId = (systemId: string, batchId: string) => `graph:${systemId}:${batchId}`;
