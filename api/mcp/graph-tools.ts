import { z } from 'zod';
import { normaliseSystemId } from '../../schemas/ids';
import { DEFAULT_SYSTEM_ID, sha256Hex } from './ingest';
import { assertInScope } from './scope-check';
import { defineTool } from './tool';

/**
 * The knowledge graph is not built yet. These tools accept and validate what
 * Session-Buddy's sync sends and answer with a deterministic id, so its sync
 * goes on, but they say plainly that nothing was stored (`stored: false`).
 */
const NOT_STORED =
  'knowledge graph not built yet: validated and acknowledged, not stored; resend once it exists';

const Properties = z
  .record(z.string(), z.unknown())
  .nullish()
  .transform((v) => v ?? {});

/** Entities and relations are scoped by the sending system, like memories. */
function systemOf(metadata: Record<string, unknown>): string {
  const source = typeof metadata.source === 'string' ? metadata.source : '';
  try {
    return normaliseSystemId(source || DEFAULT_SYSTEM_ID);
  } catch {
    return DEFAULT_SYSTEM_ID;
  }
}

const idOf = (prefix: string, parts: string[]) =>
  `${prefix}-${sha256Hex(JSON.stringify(parts)).slice(0, 32)}`;

export const createEntity = defineTool({
  name: 'create_entity',
  description:
    'Knowledge-graph entity (Session-Buddy sync). Validated and given a deterministic id; ' +
    'not stored yet (stored: false).',
  args: z.object({
    name: z.string().min(1).max(1000),
    entity_type: z.string().min(1).max(200),
    observations: z
      .array(z.string().max(100_000))
      .max(10_000)
      .nullish()
      .transform((v) => v ?? []),
    properties: Properties,
    metadata: Properties,
  }),
  run: async (args, _deps, call) => {
    const system_id = systemOf(args.metadata);
    assertInScope(call.principal, [system_id], 'writer');
    return {
      status: 'created',
      id: idOf('entity', [system_id, args.entity_type, args.name]),
      name: args.name,
      entity_type: args.entity_type,
      system_id,
      stored: false,
      note: NOT_STORED,
    };
  },
});

export const createRelation = defineTool({
  name: 'create_relation',
  description:
    'Knowledge-graph relation (Session-Buddy sync). Validated and given a deterministic id; ' +
    'not stored yet (stored: false).',
  args: z.object({
    from_entity: z.string().min(1).max(1000),
    to_entity: z.string().min(1).max(1000),
    relation_type: z.string().min(1).max(200),
    properties: Properties,
    metadata: Properties,
  }),
  run: async (args, _deps, call) => {
    const system_id = systemOf(args.metadata);
    assertInScope(call.principal, [system_id], 'writer');
    return {
      status: 'created',
      id: idOf('relation', [system_id, args.from_entity, args.relation_type, args.to_entity]),
      from_entity: args.from_entity,
      to_entity: args.to_entity,
      relation_type: args.relation_type,
      system_id,
      stored: false,
      note: NOT_STORED,
    };
  },
});
