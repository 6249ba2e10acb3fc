/**
 * JSON Schemas written by hand: the search response (its types live in the search code,
 * not as zod) and the JSON-RPC 2.0 envelopes of the MCP endpoints.
 */

const str = { type: 'string' } as const;
const int = { type: 'integer' } as const;
const tier = { enum: ['hot', 'warm', 'cold'] } as const;

export const SearchHit = {
  type: 'object',
  required: [
    'system_id',
    'id',
    'kind',
    'content',
    'timestamp',
    'project',
    'tags',
    'metadata',
    'upload_id',
    'similarity',
    'shard',
    'tier',
  ],
  properties: {
    system_id: str,
    id: str,
    kind: str,
    content: { type: 'string', description: 'the text (hot) or its summary (warm, cold)' },
    timestamp: { type: 'string', description: 'ISO-8601, UTC' },
    project: { type: ['string', 'null'] },
    tags: { type: 'array', items: str },
    metadata: { type: 'object' },
    upload_id: str,
    similarity: { type: 'number', description: 'cosine similarity, -1..1' },
    shard: { type: 'integer', description: "the record's shard" },
    tier,
    passage: {
      type: 'object',
      description: 'the passage of a long text that matched best (UTF-16 offsets into content)',
      required: ['index', 'start', 'end'],
      properties: { index: int, start: int, end: int },
    },
    entities: {
      type: 'array',
      description: 'entities the record mentions, where the API holds the graph; absent: none',
      items: { $ref: '#/components/schemas/LinkedEntity' },
    },
  },
} as const;

export const SearchResponse = {
  type: 'object',
  required: ['query', 'cache', 'results', 'total', 'embedder', 'took_ms', 'partial', 'failed'],
  properties: {
    query: str,
    results: { type: 'array', items: { $ref: '#/components/schemas/SearchHit' } },
    total: int,
    embedder: {
      type: 'object',
      required: ['name', 'model', 'dim'],
      properties: { name: str, model: str, dim: int },
    },
    took_ms: { type: 'number' },
    partial: {
      type: 'boolean',
      description: 'true when a tier or shard failed or timed out: see `failed`',
    },
    failed: {
      type: 'array',
      items: {
        type: 'object',
        description:
          'a shard of a tier ({tier, shard}, with `writer` when a writer process reported it), ' +
          'or a writer process asked over NATS that gave no answer ({writer, groups})',
        required: ['reason', 'message'],
        properties: {
          tier,
          shard: int,
          writer: str,
          groups: { type: 'array', items: int },
          reason: { enum: ['timeout', 'error'] },
          message: str,
        },
      },
    },
    cache: { enum: ['hit', 'miss', 'off'] },
  },
} as const;

const rpcId = { type: ['string', 'integer', 'null'] } as const;

export const JsonRpcRequest = {
  type: 'object',
  description: 'a request, or a notification when `id` is absent',
  required: ['jsonrpc', 'method'],
  properties: { jsonrpc: { const: '2.0' }, id: rpcId, method: str, params: {} },
} as const;

export const JsonRpcResponse = {
  type: 'object',
  required: ['jsonrpc', 'id'],
  properties: {
    jsonrpc: { const: '2.0' },
    id: rpcId,
    result: {},
    error: {
      type: 'object',
      required: ['code', 'message'],
      properties: { code: int, message: str, data: {} },
    },
  },
  oneOf: [{ required: ['result'] }, { required: ['error'] }],
} as const;

export const ToolsCallRequest = {
  description: '`{name, arguments}`, or a JSON-RPC `tools/call` request',
  oneOf: [
    {
      type: 'object',
      required: ['name'],
      properties: { name: str, arguments: { type: 'object' } },
    },
    { $ref: '#/components/schemas/JsonRpcRequest' },
  ],
} as const;

export const ToolsCallResponse = {
  type: 'object',
  description:
    "the tool's dict under `result`; a tool returning a list also has it under `results`",
  properties: { result: { type: 'object' }, results: { type: 'array' } },
} as const;
