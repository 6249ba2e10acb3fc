import { RecordId, SystemId } from '../../schemas';
import { fromZod, invalid, json, jsonBody, noShards, ref } from './helpers';

const systemIdParam = (where: 'path' | 'query') => ({
  name: 'system_id',
  in: where,
  required: where === 'path',
  schema: fromZod(SystemId, 'input'),
});

/** Liveness, readiness, metrics and this document. */
export const opsPaths = {
  '/health': {
    get: { summary: 'liveness', security: [], responses: { 200: json('alive', ref('Health')) } },
  },
  '/ready': {
    get: {
      summary: 'readiness: 200 only while consuming',
      responses: {
        200: json('consuming', ref('Readiness')),
        503: json('starting or draining', ref('Readiness')),
      },
    },
  },
  '/metrics': {
    get: {
      summary: 'Prometheus metrics',
      responses: {
        200: {
          description: 'Prometheus text exposition format',
          content: { 'text/plain': { schema: { type: 'string' } } },
        },
      },
    },
  },
  '/api/v1/openapi.json': {
    get: {
      summary: 'this document',
      responses: { 200: json('OpenAPI 3.1 document', { type: 'object' }) },
    },
  },
};

/** Search, embeddings and the query routes. */
export const apiPaths = {
  '/api/v1/search': {
    post: {
      summary: 'vector search over hot and warm, and cold when system_id is given',
      requestBody: jsonBody(ref('SearchRequest')),
      responses: {
        200: json('best first, each record once', ref('SearchResponse')),
        400: invalid,
        503: noShards,
      },
    },
  },
  '/api/v1/embeddings': {
    post: {
      summary: "the Python Akosha's generate_embedding",
      requestBody: jsonBody(ref('GenerateEmbeddingRequest')),
      responses: { 200: json('one vector', ref('GenerateEmbeddingResponse')), 400: invalid },
    },
  },
  '/api/v1/embeddings/batch': {
    post: {
      summary: "the Python Akosha's generate_batch_embeddings",
      requestBody: jsonBody(ref('GenerateBatchEmbeddingsRequest')),
      responses: {
        200: json('one vector per text, in order', ref('GenerateBatchEmbeddingsResponse')),
        400: invalid,
      },
    },
  },
  '/api/v1/memories/{system_id}/{id}': {
    get: {
      summary: 'one memory, from hot, warm or cold (cold reads Parquet objects: slower)',
      parameters: [
        systemIdParam('path'),
        { name: 'id', in: 'path', required: true, schema: fromZod(RecordId, 'input') },
      ],
      responses: {
        200: json('the record', ref('Memory')),
        400: invalid,
        404: json('no such record', ref('NotFound')),
        503: noShards,
      },
    },
  },
  '/api/v1/systems': {
    get: {
      summary: 'records per system and tier, by system_id',
      parameters: [systemIdParam('query')],
      responses: { 200: json('counts', ref('SystemsResponse')), 400: invalid, 503: noShards },
    },
  },
  '/api/v1/status': {
    get: {
      summary: 'streams, durable consumers, writer leases and readiness',
      responses: {
        200: json('status', ref('StatusResponse')),
        503: json('NATS does not answer', ref('NatsUnavailable')),
      },
    },
  },
};
