import { AgingParams } from '../routes/aging';
import { DlqListQuery, DlqPurgeRequest, DlqRequeueRequest } from '../routes/dlq-schemas';
import { fromZod, invalid, json, jsonBody, ref, type Schema } from './helpers';

const natsUnavailable = json('NATS does not answer', {
  type: 'object',
  required: ['error', 'request_id'],
  properties: { error: { const: 'nats_unavailable' }, request_id: { type: 'string' } },
});
const object = (description: string, properties: Schema = {}) =>
  json(description, { type: 'object', properties });

/** Query parameters from a zod object: one per property. */
function queryParams(schema: Schema): Schema[] {
  const properties = (schema.properties ?? {}) as Record<string, Schema>;
  return Object.entries(properties).map(([name, s]) => ({ name, in: 'query', schema: s }));
}

const seqParam = {
  name: 'seq',
  in: 'path',
  required: true,
  schema: { type: 'integer', minimum: 1 },
  description: "the letter's sequence in AKOSHA_DLQ",
};

/** The dead-letter queue (as `akosha dlq`) and the aging trigger. */
export const adminPaths = {
  '/api/v1/dlq': {
    get: {
      summary: 'dead letters matching the filters, in DLQ order, without their payloads (operator)',
      parameters: queryParams(fromZod(DlqListQuery, 'input')),
      responses: {
        200: object('a page of letters; `next` is the `after` of the next page', {
          letters: { type: 'array', items: { type: 'object' } },
          next: { type: 'integer' },
        }),
        400: invalid,
        503: natsUnavailable,
      },
    },
  },
  '/api/v1/dlq/{seq}': {
    get: {
      summary: 'one letter with its payload decoded and where the payload is kept (operator)',
      parameters: [seqParam],
      responses: {
        200: object('the letter'),
        400: invalid,
        404: json('no letter at that sequence', ref('NotFound')),
        503: natsUnavailable,
      },
    },
  },
  '/api/v1/dlq/requeue': {
    post: {
      summary: "republish each letter's payload where it failed, then delete the letter (admin)",
      requestBody: jsonBody(fromZod(DlqRequeueRequest, 'input')),
      responses: {
        200: object(
          'one result per sequence, in order: ok, or not_found, still_invalid, requeue_failed',
          {
            results: { type: 'array', items: { type: 'object' } },
          },
        ),
        400: invalid,
        503: natsUnavailable,
      },
    },
  },
  '/api/v1/dlq/purge': {
    post: {
      summary: 'delete the letters matching the filters, with their payload objects (admin)',
      requestBody: jsonBody(fromZod(DlqPurgeRequest, 'input')),
      responses: {
        200: object('how many letters were deleted', { purged: { type: 'integer' } }),
        400: invalid,
        503: natsUnavailable,
      },
    },
  },
  '/api/v1/aging/{tier}': {
    post: {
      summary: 'publish the aging event of a tier, as the scheduler does (admin)',
      parameters: [
        {
          name: 'tier',
          in: 'path',
          required: true,
          schema: fromZod(AgingParams.shape.tier, 'input'),
        },
      ],
      responses: {
        202: object('published on akosha.aging.<tier>; the writers age their shards', {
          published: { const: true },
          subject: { type: 'string' },
          event: { type: 'object' },
        }),
        400: invalid,
        503: natsUnavailable,
      },
    },
  },
};
