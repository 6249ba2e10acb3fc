import type { UploadMessage } from '../../../schemas/upload';
import { STREAM } from '../../../streams/definitions';
import { startTestNatsWithStreams, type TestNats } from '../../helpers/nats';
import { readStream, streamMessageCount } from '../../helpers/streams';
import { startMcpApp, type McpTestApp } from './mcp-app';

type Reply = Record<string, unknown> & {
  result?: Record<string, unknown>;
  results?: unknown[];
  issues?: { path: string; message: string }[];
};

describe("MCP: Mahavishnu's POST /mcp/tools/call", () => {
  let nats: TestNats;
  let mcp: McpTestApp;
  beforeAll(async () => {
    nats = await startTestNatsWithStreams();
    mcp = await startMcpApp(nats.js);
  });
  afterAll(async () => {
    await mcp.close();
    await nats.stop();
  });

  const call = async (body: unknown) => {
    const res = await mcp.post('/mcp/tools/call', body);
    return { status: res.status, body: (await res.json()) as Reply };
  };

  it('stores {content, metadata, collection} under a deterministic id; a repeat is a duplicate', async () => {
    const args = {
      content: 'workflow wf-42 finished: 3 repos synced',
      metadata: { source: 'mahavishnu', workflow_id: 'wf-42' },
      collection: 'workflow_results',
    };
    const first = await call({ name: 'store_memory', arguments: args });
    expect(first.status).toBe(200);
    expect(first.body.result).toMatchObject({
      status: 'stored',
      system_id: 'mahavishnu',
      duplicate: false,
      embedding_source: 'akosha',
    });
    const memoryId = first.body.result!.memory_id as string;
    expect(memoryId).toMatch(/^mem-[0-9a-f]{32}$/);
    const count = await streamMessageCount(nats.nc, STREAM.uploads);

    const again = await call({ name: 'store_memory', arguments: args });
    expect(again.body.result).toMatchObject({
      status: 'stored',
      memory_id: memoryId,
      duplicate: true,
    });
    expect(await streamMessageCount(nats.nc, STREAM.uploads)).toBe(count);

    const [upload] = await readStream<UploadMessage>(nats.nc, nats.js, STREAM.uploads);
    expect(upload!.subject).toMatch(/\.mahavishnu$/);
    expect(upload!.data.records[0]).toMatchObject({
      id: memoryId,
      kind: 'conversation',
      content: args.content,
      project: null,
      metadata: { collection: 'workflow_results', workflow_id: 'wf-42' },
    });
  });

  it('search_all_systems {query, limit} puts the hits under result and results (fake search, shape only)', async () => {
    const { status, body } = await call({
      name: 'search_all_systems',
      arguments: { query: 'jetstream', limit: 5 },
    });
    expect(status).toBe(200);
    expect(body.result).toMatchObject({ total: 1, query: 'jetstream' });
    expect(body.results).toEqual(body.result!.results);
    expect(body.results).toEqual([expect.objectContaining({ id: 'hit-1' })]);
    expect(mcp.searches.at(-1)).toEqual({ query: 'jetstream', limit: 5, threshold: 0.7 });
  });

  it('passes system_id (normalised) and filters to the search (fake search, shape only)', async () => {
    await call({
      name: 'search_all_systems',
      arguments: { query: 'q', system_id: 'dev.box', filters: { project: 'akosha' } },
    });
    expect(mcp.searches.at(-1)).toEqual({
      query: 'q',
      limit: 10,
      threshold: 0.7,
      system_id: 'dev-box',
      filters: { project: 'akosha' },
    });
  });

  it('accepts the same call wrapped as JSON-RPC', async () => {
    const { body } = await call({
      jsonrpc: '2.0',
      id: 7,
      method: 'tools/call',
      params: { name: 'search_all_systems', arguments: { query: 'x', limit: 1 } },
    });
    expect(body).toMatchObject({ jsonrpc: '2.0', id: 7, result: { total: 1 } });
    expect(body.results).toHaveLength(1);
  });

  it('generate_embedding {text} and generate_batch_embeddings {texts}', async () => {
    const one = await call({ name: 'generate_embedding', arguments: { text: 'hello' } });
    expect(one.body.result).toMatchObject({ embedding_dim: 384, mode: 'hashing' });
    expect(one.body.result!.embedding).toHaveLength(384);
    const many = await call({
      name: 'generate_batch_embeddings',
      arguments: { texts: ['a', 'b'] },
    });
    expect(many.body.result).toMatchObject({ embedding_dim: 384, count: 2, mode: 'hashing' });
  });

  it('answers bad arguments with 400 and every issue', async () => {
    const { status, body } = await call({
      name: 'store_memory',
      arguments: { metadata: 'not an object', collection: 5 },
    });
    expect(status).toBe(400);
    expect(body).toMatchObject({ error: 'invalid_params' });
    expect(body.issues!.map((i) => i.path).sort()).toEqual(['collection', 'metadata', 'text']);

    const limits = await call({
      name: 'generate_batch_embeddings',
      arguments: { texts: ['x'], batch_size: 129 },
    });
    expect(limits.status).toBe(400);
    expect(limits.body.issues![0]!.path).toBe('batch_size');
  });

  it('answers an unknown tool with 404 and malformed JSON with 400', async () => {
    const unknown = await call({ name: 'drop_everything', arguments: {} });
    expect(unknown.status).toBe(404);
    expect(unknown.body).toMatchObject({ error: 'unknown_tool' });
    const res = await mcp.post('/mcp/tools/call', '{"name": ');
    expect(res.status).toBe(400);
    expect(await res.json()).toMatchObject({ error: 'parse_error' });
  });
});
