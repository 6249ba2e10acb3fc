import { z } from 'zod';
import { AkoshaError, ErrorCodes } from '../../infra';
import { publishGraph } from '../../producers';
import { entityId, type GraphMessageInput } from '../../schemas';
import type { McpDeps } from './deps';
import {
  entityRefOf,
  graphMessageOf,
  relationIdOf,
  sourceIdOf,
  systemOf,
  timesOf,
  type StatementContext,
} from './graph-statements';
import { RpcCode, RpcError } from './jsonrpc';
import { assertInScope } from './scope-check';
import { defineTool, invalidParams } from './tool';

const Properties = z
  .record(z.string(), z.unknown())
  .nullish()
  .transform((v) => v ?? {});

/**
 * Publishes the statement's graph message and waits for the broker's ack: once it is
 * acked the graph writer applies it (stored: true). A statement the graph schema refuses
 * is INVALID_PARAMS; a broker that does not ack is an error, which the caller retries.
 */
async function publishStatement(
  deps: McpDeps,
  tool: string,
  message: GraphMessageInput,
): Promise<{ duplicate: boolean }> {
  try {
    const result = await publishGraph(deps.js, message, { maxPayloadBytes: deps.maxPayloadBytes });
    return { duplicate: result.duplicates === result.messages };
  } catch (err) {
    // the statement's fault (a 4xx code) is the caller's to fix; anything else is ours
    if (err instanceof AkoshaError && ErrorCodes[err.code].httpStatus < 500)
      throw invalidParams(
        tool,
        err.issues.length ? err.issues : [{ path: '', message: err.message }],
      );
    throw new RpcError(RpcCode.INTERNAL_ERROR, `${tool}: not stored, the broker did not ack`);
  }
}

function contextOf(tool: string, metadata: Record<string, unknown>): StatementContext {
  return { tool, systemId: systemOf(metadata), now: new Date(), metadata };
}

export const createEntity = defineTool({
  name: 'create_entity',
  description:
    'Knowledge-graph entity (Session-Buddy sync), stated by the system metadata.source. ' +
    'Returns {status: "created", id: "<entity_type>:<name>", stored: true} once the broker ' +
    'acknowledged it; the graph writer applies it.',
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
  run: async (args, deps, call) => {
    const ctx = contextOf('create_entity', args.metadata);
    assertInScope(call.principal, [ctx.systemId], 'writer');
    const id = entityId(args.entity_type, args.name);
    const entity = { ...args, source_id: sourceIdOf(id), ...timesOf(ctx) };
    const message = graphMessageOf(ctx, args, { entities: [entity] });
    const { duplicate } = await publishStatement(deps, 'create_entity', message);
    return {
      status: 'created',
      id,
      name: args.name,
      entity_type: args.entity_type,
      system_id: ctx.systemId,
      stored: true,
      duplicate,
    };
  },
});

export const createRelation = defineTool({
  name: 'create_relation',
  description:
    'Knowledge-graph relation (Session-Buddy sync), stated by the system metadata.source; ' +
    'from_entity / to_entity are "<entity_type>:<name>" or a name. Returns ' +
    '{status: "created", id, stored: true} once the broker acknowledged it.',
  args: z.object({
    from_entity: z.string().min(1).max(1000),
    to_entity: z.string().min(1).max(1000),
    relation_type: z.string().min(1).max(200),
    properties: Properties,
    metadata: Properties,
  }),
  run: async (args, deps, call) => {
    const ctx = contextOf('create_relation', args.metadata);
    assertInScope(call.principal, [ctx.systemId], 'writer');
    const { from_entity: from, to_entity: to, relation_type } = args;
    const id = relationIdOf(ctx.systemId, from, relation_type, to);
    const relation = {
      source_id: sourceIdOf(id),
      from: entityRefOf(from),
      to: entityRefOf(to),
      relation_type,
      properties: args.properties,
      metadata: args.metadata,
      ...timesOf(ctx),
    };
    const message = graphMessageOf(ctx, args, { relations: [relation] });
    const { duplicate } = await publishStatement(deps, 'create_relation', message);
    return {
      status: 'created',
      id,
      from_entity: from,
      to_entity: to,
      relation_type,
      system_id: ctx.systemId,
      stored: true,
      duplicate,
    };
  },
});
