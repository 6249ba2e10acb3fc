import { z } from 'zod';

export type Schema = Record<string, unknown>;

/** A zod schema as a JSON Schema (2020-12, the dialect of OpenAPI 3.1) without its `$schema`. */
export function fromZod(schema: z.ZodType, io: 'input' | 'output'): Schema {
  const { $schema: _, ...rest } = z.toJSONSchema(schema, { io, unrepresentable: 'any' });
  return rest;
}

export const ref = (name: string): Schema => ({ $ref: `#/components/schemas/${name}` });

export const json = (description: string, schema: Schema) => ({
  description,
  content: { 'application/json': { schema } },
});

export const jsonBody = (schema: Schema) => ({
  required: true,
  content: { 'application/json': { schema } },
});

export const invalid = json('invalid input, every issue listed', ref('InvalidRequest'));
export const noShards = json('this process owns no hot shards', ref('NoShards'));
