import { z } from 'zod';

/**
 * Response bodies of the graph routes and tools as zod, rendered into the OpenAPI document;
 * the tests parse real replies with them (strictly), so the document follows the replies.
 */

const Count = z.number().int().nonnegative();
const Properties = z.record(z.string(), z.unknown());

export const Neighbors = z.object({
  entity_id: z.string(),
  total_neighbors: Count.describe('neighbours over visible edges, before the limit'),
  neighbors: z.array(
    z.object({
      entity_id: z.string(),
      entity_type: z.string(),
      edge_type: z.string(),
      weight: z.number().describe('how many visible systems assert the edge'),
      properties: Properties,
    }),
  ),
});

export const GraphPath = z.object({
  source_id: z.string(),
  target_id: z.string(),
  path_found: z.boolean(),
  path: z.array(z.string()).optional().describe('entity ids from source to target, when found'),
  hops: Count.optional().describe('edges on the path, when found'),
});

const TypeCounts = z.object({
  total_entities: Count,
  total_edges: Count,
  entity_types: z.record(z.string(), Count),
  edge_types: z.record(z.string(), Count),
});

export const GraphStatistics = TypeCounts.extend({
  systems: z.record(z.string(), TypeCounts).describe('what each visible system asserts'),
});

export const LinkedEntity = z.object({
  entity_id: z.string(),
  entity_type: z.string(),
  name: z.string(),
});

export const EntityDetail = LinkedEntity.extend({
  systems: z.array(z.string()).describe('visible systems that state the entity'),
  sources: z.array(z.object({ system_id: z.string(), source_id: z.string() })),
  observations: z.array(z.string()),
  properties: Properties,
  updated_at: z.string().describe('ISO-8601, UTC'),
});

export const NoGraph = z.object({ error: z.literal('no_graph'), message: z.string() });
