import type { GraphMessage } from '../../../schemas/graph';
import { shardOf } from '../../../schemas/ids';
import type { UploadMessage } from '../../../schemas/upload';
import { STREAM } from '../../../streams/definitions';
import { startTestNatsWithStreams, type TestNats } from '../../helpers/nats';
import { readStream, streamMessageCount } from '../../helpers/streams';
import { unitVector } from '../../helpers/uploads';
import { waitFor } from '../../helpers/wait-for';
import { startMcpApp, type McpTestApp } from './mcp-app';

type Upload = Required<Pick<UploadMessage, 'upload_id' | 'system_id' | 'records'>>;
type RpcReply = {
  jsonrpc: string;
  id: unknown;
  result?: Record<string, unknown>;
  error?: { code: number; message: string; data?: { issues: { path: string }[] } };
};

/** A memory exactly as Session-Buddy's HTTP push sends it. */
function sbMemory(id: string, text: string, embedding: number[] | null, source = 'sb-laptop') {
  return {
    memory_id: id,
    text,
    embedding,
    metadata: {
      source,
      original_id: id,
      type: 'conversation',
      project: 'akosha',
      created_at: '2026-11-20T10:00:00+00:00',
    },
  };
}

const toolsCall = (id: string, name: string, args: unknown) => ({
  jsonrpc: '2.0',
  id,
  method: 'tools/call',
  params: { name, arguments: args },
});

describe('MCP: Session-Buddy HTTP push (POST /mcp/mcp/v1)', () => {
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

  const push = async (body: unknown) => {
    const res = await mcp.post('/mcp/mcp/v1', body);
    return { status: res.status, body: (await res.json()) as RpcReply };
  };
  /** the uploads of one system (nats-server 2.9: read the whole stream, filter here) */
  const uploadsOf = async (systemId: string) =>
    (await readStream<Upload>(nats.nc, nats.js, STREAM.uploads))
      .filter((m) => m.subject.endsWith(`.${systemId}`))
      .map((m) => ({ ...m.data, subject: m.subject }));

  it('answers GET /mcp/status with 200, which Session-Buddy checks first', async () => {
    const res = await fetch(`${mcp.base}/mcp/status`);
    expect(res.status).toBe(200);
    expect(await res.json()).toMatchObject({ status: 'ok', ready: true });
  });

  it('stores a batch_store_memories push as one upload and answers with the plain dict', async () => {
    const vector = unitVector(7);
    const { status, body } = await push(
      toolsCall('sb-1', 'batch_store_memories', {
        memories: [
          sbMemory('conv-1', 'how to dedupe with Nats-Msg-Id', vector),
          sbMemory('conv-2', 'jetstream pull consumers drain', null),
        ],
      }),
    );
    expect(status).toBe(200);
    expect(body).toMatchObject({ jsonrpc: '2.0', id: 'sb-1' });
    expect(body.result).toMatchObject({
      status: 'completed',
      total: 2,
      stored: 2,
      failed: 0,
      errors: [],
    });
    expect(body.result).not.toHaveProperty('content');

    const [upload, ...more] = await uploadsOf('sb-laptop');
    expect(more).toHaveLength(0);
    expect(upload!.subject).toBe(`akosha.uploads.${shardOf('sb-laptop')}.sb-laptop`);
    expect(upload!.upload_id).toMatch(/^mcp-[0-9a-f]{40}$/);
    const [first, second] = upload!.records;
    expect(first).toMatchObject({
      id: 'conv-1',
      kind: 'conversation',
      content: 'how to dedupe with Nats-Msg-Id',
      timestamp: '2026-11-20T10:00:00+00:00',
      project: 'akosha',
      metadata: { source: 'sb-laptop', original_id: 'conv-1', type: 'conversation' },
    });
    expect(first!.embedding).toEqual(vector);
    expect(second).toMatchObject({ id: 'conv-2', embedding: null });
  });

  it('makes a retried batch POST a duplicate at the broker', async () => {
    const body = toolsCall('sb-2', 'batch_store_memories', {
      memories: [sbMemory('retry-1', 'retried text', null, 'sb-retry')],
    });
    const first = await push(body);
    const before = await streamMessageCount(nats.nc, STREAM.uploads);
    const again = await push({ ...body, id: 'sb-2-retry' });
    expect(again.body.result).toMatchObject({ status: 'completed', stored: 1 });
    expect(again.body.result!.uploads).toEqual([
      expect.objectContaining({
        duplicate: true,
        upload_id: (first.body.result!.uploads as { upload_id: string }[])[0]!.upload_id,
      }),
    ]);
    expect(await streamMessageCount(nats.nc, STREAM.uploads)).toBe(before);
    expect(await uploadsOf('sb-retry')).toHaveLength(1);
  });

  it('stores the valid memories of a batch and reports the others (partial)', async () => {
    const bad = { ...sbMemory('bad-date', 'x', null, 'sb-partial') };
    bad.metadata.created_at = 'not a date';
    const { body } = await push(
      toolsCall('sb-3', 'batch_store_memories', {
        memories: [
          sbMemory('ok-1', 'a fine memory', null, 'sb-partial'),
          { memory_id: 'no-text', metadata: { source: 'sb-partial' } },
          bad,
          sbMemory('short-vec', 'wrong model', [0.1, 0.2], 'sb-partial'),
        ],
      }),
    );
    expect(body.result).toMatchObject({ status: 'partial', total: 4, stored: 2, failed: 2 });
    const errors = body.result!.errors as { index: number; memory_id: string; error: string }[];
    expect(errors.map((e) => [e.index, e.memory_id])).toEqual([
      [1, 'no-text'],
      [2, 'bad-date'],
    ]);
    expect(errors[0]!.error).toMatch(/^text: /);
    expect(errors[1]!.error).toMatch(/created_at/);
    expect(body.result!.warnings).toEqual([
      expect.objectContaining({ index: 3, warning: expect.stringMatching(/embedding ignored/) }),
    ]);
    const [upload] = await uploadsOf('sb-partial');
    expect(upload!.records.map((r) => [r.id, r.embedding])).toEqual([
      ['ok-1', null],
      ['short-vec', null],
    ]);
  });

  it('normalises a hostname source and maps an invalid memory id, keeping the original', async () => {
    const { body } = await push(
      toolsCall('sb-4', 'batch_store_memories', {
        memories: [sbMemory('conv 1/ä', 'odd id', null, 'dev-box.local')],
      }),
    );
    expect(body.result).toMatchObject({ status: 'completed', stored: 1 });
    const [upload] = await uploadsOf('dev-box-local');
    const record = upload!.records[0]!;
    expect(record.id).toMatch(/^conv-1--:[0-9a-f]{32}$/);
    expect(record.metadata).toMatchObject({
      original_memory_id: 'conv 1/ä',
      source: 'dev-box.local',
    });
  });

  it('takes a full batch of 1000 memories with vectors (~9 MB), split into parts below max_payload', async () => {
    const memories = Array.from({ length: 1000 }, (_, i) =>
      sbMemory(`big-${i}`, `memory number ${i}`, unitVector(i + 1), 'sb-big'),
    );
    const res = await mcp.post(
      '/mcp/mcp/v1',
      toolsCall('sb-big', 'batch_store_memories', { memories }),
    );
    const body = (await res.json()) as RpcReply;
    expect(body.result).toMatchObject({ status: 'completed', total: 1000, stored: 1000 });
    const [upload] = body.result!.uploads as { seqs: number[] }[];
    expect(upload!.seqs.length).toBeGreaterThan(1);
    const parts = await uploadsOf('sb-big');
    expect(parts).toHaveLength(upload!.seqs.length);
    expect(parts.flatMap((p) => p.records.map((r) => r.id))).toEqual(
      memories.map((m) => m.memory_id),
    );
  });

  it('stores a reflection (store_reflection) and reads back status "stored"', async () => {
    const { body } = await push(
      toolsCall('sb-5', 'store_reflection', {
        reflection_id: 'refl-1',
        content: 'always ack after the sink',
        embedding: unitVector(3),
        metadata: { source: 'sb-refl', tags: ['nats'], project: 'akosha' },
      }),
    );
    expect(body.result).toMatchObject({ status: 'stored', reflection_id: 'refl-1' });
    const [upload] = await uploadsOf('sb-refl');
    expect(upload!.records[0]).toMatchObject({ id: 'refl-1', kind: 'reflection', tags: ['nats'] });
  });

  it('publishes create_entity / create_relation as graph messages, a retried call a broker duplicate', async () => {
    const entity = {
      name: 'NATS',
      entity_type: 'technology',
      observations: ['message broker'],
      properties: {},
      metadata: { source: 'sb-laptop', created_at: '2026-11-20T10:00:00+00:00' },
    };
    // a call and its retry fall in the same minute (the batch id's time)
    await waitFor(() => new Date().getUTCSeconds() < 45, { timeoutMs: 20_000 });
    const a = await push(toolsCall('sb-6', 'create_entity', entity));
    const b = await push(toolsCall('sb-7', 'create_entity', entity));
    expect(a.body.result).toMatchObject({
      status: 'created',
      id: 'technology:nats',
      system_id: 'sb-laptop',
      stored: true,
      duplicate: false,
    });
    expect(b.body.result).toMatchObject({ id: 'technology:nats', duplicate: true });
    const rel = await push(
      toolsCall('sb-8', 'create_relation', {
        from_entity: 'project:Akosha',
        to_entity: 'NATS',
        relation_type: 'uses',
        properties: { since: 2026 },
        metadata: { source: 'sb-laptop' },
      }),
    );
    expect(rel.body.result).toMatchObject({ status: 'created', stored: true });
    expect(rel.body.result!.id).toMatch(/^relation-[0-9a-f]{32}$/);
    const graph = await readStream<GraphMessage>(nats.nc, nats.js, STREAM.graph);
    expect(graph).toHaveLength(2);
    expect(graph[0]!.subject).toBe(`akosha.graph.${shardOf('sb-laptop')}.sb-laptop`);
    expect(graph[0]!.data.entities[0]).toMatchObject({
      source_id: 'technology:nats',
      name: 'NATS',
      observations: ['message broker'],
      created_at: '2026-11-20T10:00:00+00:00',
    });
    expect(graph[1]!.data.relations[0]).toMatchObject({
      source_id: rel.body.result!.id,
      from: { name: 'Akosha', entity_type: 'project' },
      to: { name: 'NATS' },
      relation_type: 'uses',
      properties: { since: 2026 },
    });
  });

  it('rejects a batch above 1000 memories with -32602 and the issue', async () => {
    const memories = Array.from({ length: 1001 }, (_, i) => sbMemory(`m${i}`, 't', null));
    const { body } = await push(toolsCall('sb-9', 'batch_store_memories', { memories }));
    expect(body.error).toMatchObject({ code: -32602 });
    expect(body.error!.data!.issues[0]!.path).toBe('memories');
  });

  it('answers an unknown tool with -32601 and malformed JSON with -32700', async () => {
    expect((await push(toolsCall('sb-10', 'no_such_tool', {}))).body.error).toMatchObject({
      code: -32601,
    });
    const res = await mcp.post('/mcp/mcp/v1', '{"jsonrpc": "2.0", "id": 1, ');
    expect(res.status).toBe(400);
    expect(await res.json()).toMatchObject({ id: null, error: { code: -32700 } });
  });
});
