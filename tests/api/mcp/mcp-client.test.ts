import type { JetStreamClient } from '@nats-io/jetstream';
import { STREAM } from '../../../streams/definitions';
import { startTestNatsWithStreams, type TestNats } from '../../helpers/nats';
import { streamMessageCount } from '../../helpers/streams';
import { startMcpApp, type McpTestApp } from './mcp-app';

type RpcReply = {
  jsonrpc: '2.0';
  id: unknown;
  result?: Record<string, unknown>;
  error?: { code: number; message: string; data?: { issues: { path: string }[] } };
};
type CallResult = {
  content: { type: string; text: string }[];
  structuredContent: Record<string, unknown>;
  isError?: boolean;
};

/** The headers a streamable-HTTP MCP client sends. */
const clientHeaders = (session?: string): Record<string, string> => ({
  accept: 'application/json, text/event-stream',
  'mcp-protocol-version': '2025-06-18',
  ...(session && { 'mcp-session-id': session }),
});

describe('MCP: streamable HTTP for standard clients (POST /mcp)', () => {
  let nats: TestNats;
  let mcp: McpTestApp;
  let session: string;
  let nextId = 0;
  beforeAll(async () => {
    nats = await startTestNatsWithStreams();
    mcp = await startMcpApp(nats.js);
  });
  afterAll(async () => {
    await mcp.close();
    await nats.stop();
  });

  const rpc = async (method: string, params?: unknown) => {
    const res = await mcp.post(
      '/mcp',
      { jsonrpc: '2.0', id: ++nextId, method, ...(params !== undefined && { params }) },
      clientHeaders(session),
    );
    expect(res.headers.get('content-type')).toMatch(/^application\/json/);
    return (await res.json()) as RpcReply;
  };
  const callTool = async (name: string, args: unknown) =>
    (await rpc('tools/call', { name, arguments: args })).result as unknown as CallResult;

  it('initializes with a session id, then takes notifications/initialized with 202', async () => {
    const res = await mcp.post(
      '/mcp',
      {
        jsonrpc: '2.0',
        id: 0,
        method: 'initialize',
        params: {
          protocolVersion: '2025-06-18',
          capabilities: {},
          clientInfo: { name: 'test-client', version: '1.0.0' },
        },
      },
      clientHeaders(),
    );
    expect(res.status).toBe(200);
    session = res.headers.get('mcp-session-id')!;
    expect(session).toMatch(/^[0-9a-f-]{36}$/);
    expect(await res.json()).toEqual({
      jsonrpc: '2.0',
      id: 0,
      result: expect.objectContaining({
        protocolVersion: '2025-06-18',
        capabilities: { tools: {} },
        serverInfo: expect.objectContaining({ name: 'akosha' }),
      }),
    });

    const note = await mcp.post(
      '/mcp',
      { jsonrpc: '2.0', method: 'notifications/initialized' },
      clientHeaders(session),
    );
    expect(note.status).toBe(202);
    expect(await note.text()).toBe('');
  });

  it('offers the newest protocol version to a client asking for an unknown one', async () => {
    const reply = await rpc('initialize', { protocolVersion: '1999-01-01', capabilities: {} });
    expect(reply.result!.protocolVersion).toBe('2025-11-25');
  });

  it('lists every tool with a JSON Schema generated from its zod schema', async () => {
    const { tools } = (await rpc('tools/list')).result as {
      tools: { name: string; inputSchema: Record<string, unknown> & { properties: object } }[];
    };
    expect(tools.map((t) => t.name).sort()).toEqual([
      'batch_store_memories',
      'create_entity',
      'create_relation',
      'find_path',
      'generate_batch_embeddings',
      'generate_embedding',
      'get_graph_statistics',
      'get_liveness',
      'get_readiness',
      'get_storage_status',
      'query_knowledge_graph',
      'search_all_systems',
      'store_memory',
      'store_reflection',
    ]);
    for (const tool of tools) expect(tool.inputSchema.type).toBe('object');
    const search = tools.find((t) => t.name === 'search_all_systems')!.inputSchema;
    expect(search).toMatchObject({
      required: ['query'],
      properties: { limit: { default: 10 }, threshold: { default: 0.7 } },
    });
    const batch = tools.find((t) => t.name === 'batch_store_memories')!.inputSchema;
    expect(batch).toMatchObject({
      properties: {
        memories: { maxItems: 1000, items: { required: ['memory_id', 'text'] } },
      },
    });
  });

  it('calls a tool: the dict as text content and as structuredContent', async () => {
    const before = await streamMessageCount(nats.nc, STREAM.uploads);
    const result = await callTool('store_memory', {
      memory_id: 'client-1',
      text: 'stored through a standard MCP client',
      metadata: { source: 'mcp-client' },
    });
    expect(result.isError).toBeUndefined();
    expect(result.structuredContent).toMatchObject({ status: 'stored', memory_id: 'client-1' });
    expect(result.content).toEqual([
      { type: 'text', text: JSON.stringify(result.structuredContent) },
    ]);
    expect(await streamMessageCount(nats.nc, STREAM.uploads)).toBe(before + 1);
  });

  it('reports liveness, readiness and the storage streams', async () => {
    expect((await callTool('get_liveness', {})).structuredContent).toMatchObject({
      status: 'alive',
    });
    expect((await callTool('get_readiness', {})).structuredContent).toMatchObject({
      status: 'ready',
      ready: true,
    });
    const storage = (await callTool('get_storage_status', {})).structuredContent;
    expect(storage).toMatchObject({
      status: 'ok',
      streams: { AKOSHA_UPLOADS: { messages: expect.any(Number) } },
    });
  });

  it('search_all_systems returns {results, total, query} (fake search, shape only)', async () => {
    const result = await callTool('search_all_systems', { query: 'anything' });
    expect(result.structuredContent).toMatchObject({ total: 1, query: 'anything' });
  });

  it('answers ping, and a batch with one response per request', async () => {
    expect((await rpc('ping')).result).toEqual({});
    const res = await mcp.post(
      '/mcp',
      [
        { jsonrpc: '2.0', id: 'a', method: 'ping' },
        { jsonrpc: '2.0', method: 'notifications/cancelled', params: { requestId: 1 } },
        { jsonrpc: '2.0', id: 'b', method: 'tools/call', params: { name: 'get_liveness' } },
        { jsonrpc: '2.0', id: 'c', method: 'resources/list' },
        { jsonrpc: '2.0', id: 'd', method: 'notifications/initialized' },
      ],
      clientHeaders(session),
    );
    expect(res.status).toBe(200);
    const replies = (await res.json()) as RpcReply[];
    expect(replies.map((r) => [r.id, r.error?.code ?? 'ok'])).toEqual([
      ['a', 'ok'],
      ['b', 'ok'],
      ['c', -32601],
      ['d', -32601],
    ]);
  });

  it('answers bad arguments with -32602 and every issue, an unknown tool with -32601', async () => {
    const bad = await rpc('tools/call', {
      name: 'search_all_systems',
      arguments: { query: '', limit: 0, threshold: 2 },
    });
    expect(bad.error!.code).toBe(-32602);
    expect(bad.error!.message).toMatch(/^Invalid arguments for search_all_systems: /);
    expect(bad.error!.data!.issues.map((i) => i.path).sort()).toEqual([
      'limit',
      'query',
      'threshold',
    ]);
    expect((await rpc('tools/call', { name: 'nope', arguments: {} })).error!.code).toBe(-32601);
  });

  it('answers malformed JSON with 400/-32700 and an invalid message with -32600', async () => {
    const res = await mcp.post('/mcp', '{not json', clientHeaders(session));
    expect(res.status).toBe(400);
    expect(await res.json()).toMatchObject({ jsonrpc: '2.0', id: null, error: { code: -32700 } });
    const invalid = await mcp.post('/mcp', { id: 3, method: 'ping' }, clientHeaders(session));
    expect(invalid.status).toBe(400);
    expect(await invalid.json()).toMatchObject({ id: 3, error: { code: -32600 } });
  });

  it('has no SSE stream: GET /mcp is 405', async () => {
    const res = await fetch(`${mcp.base}/mcp`, { headers: { accept: 'text/event-stream' } });
    expect(res.status).toBe(405);
  });
});

describe('MCP: a failed publish is reported, not hidden', () => {
  const failingJs = {
    publish: async () => {
      throw new Error('no responders available for request');
    },
  } as unknown as JetStreamClient;
  let mcp: McpTestApp;
  beforeAll(async () => {
    mcp = await startMcpApp(failingJs);
  });
  afterAll(() => mcp.close());

  it('store_memory → status "failed" with isError; a batch → status "failed"', async () => {
    const call = async (name: string, args: unknown) => {
      const res = await mcp.post('/mcp', {
        jsonrpc: '2.0',
        id: 1,
        method: 'tools/call',
        params: { name, arguments: args },
      });
      return ((await res.json()) as RpcReply).result as unknown as CallResult;
    };
    const one = await call('store_memory', { memory_id: 'm1', text: 'x' });
    expect(one.isError).toBe(true);
    expect(one.structuredContent).toMatchObject({
      status: 'failed',
      memory_id: 'm1',
      retryable: true,
    });
    const batch = await call('batch_store_memories', {
      memories: [{ memory_id: 'm1', text: 'x' }],
    });
    expect(batch.structuredContent).toMatchObject({
      status: 'failed',
      total: 1,
      stored: 0,
      failed: 1,
      errors: [expect.objectContaining({ memory_id: 'm1', retryable: true })],
    });
  });
});
