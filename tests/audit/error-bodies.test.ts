import type { Pipeline } from '../../app/pipeline';
import { startTestNatsWithStreams, type TestNats } from '../helpers/nats';
import { startTestPipeline, testConfig } from '../helpers/pipeline';

describe('error bodies: a request id, never an internal message', () => {
  let nats: TestNats;
  let pipeline: Pipeline;
  let base: string;

  beforeAll(async () => {
    nats = await startTestNatsWithStreams();
    pipeline = await startTestPipeline(testConfig(nats.url), ['writer', 'api']);
    base = pipeline.httpAddress!;
    // the hot store's files closed under a running server: every read of it fails inside
    await pipeline.store!.close();
  });
  afterAll(async () => {
    await pipeline?.close().catch(() => undefined);
    await nats?.stop();
  });

  const internals = /duckdb|\.db\b|\/tmp\/|shard-\d|Error:|at .*\.ts|closed/i;

  it('HTTP: 500 with the request id and a generic message', async () => {
    const res = await fetch(`${base}/api/v1/search`, {
      method: 'POST',
      headers: { 'content-type': 'application/json', 'x-request-id': 'trace-42' },
      body: JSON.stringify({ query: 'anything' }),
    });
    const text = await res.text();
    expect(res.status).toBe(500);
    expect(res.headers.get('x-request-id')).toBe('trace-42');
    expect(JSON.parse(text)).toEqual({
      error: 'internal',
      message: 'internal error',
      request_id: 'trace-42',
    });
    expect(text).not.toMatch(internals);
  });

  it('MCP: JSON-RPC and plain tools/call 500s carry the request id only', async () => {
    const search = { name: 'search_all_systems', arguments: { query: 'anything' } };
    const rpc = await fetch(`${base}/mcp/tools/call`, {
      method: 'POST',
      headers: { 'content-type': 'application/json' },
      body: JSON.stringify({ jsonrpc: '2.0', id: 1, method: 'tools/call', params: search }),
    });
    const rpcText = await rpc.text();
    const id = rpc.headers.get('x-request-id');
    expect(rpc.status).toBe(500);
    expect(JSON.parse(rpcText)).toMatchObject({
      error: { code: -32603, message: 'Internal error', data: { request_id: id } },
    });
    expect(rpcText).not.toMatch(internals);
    const plain = await fetch(`${base}/mcp/tools/call`, {
      method: 'POST',
      headers: { 'content-type': 'application/json' },
      body: JSON.stringify(search),
    });
    const plainText = await plain.text();
    expect(plain.status).toBe(500);
    expect(JSON.parse(plainText)).toMatchObject({
      message: 'internal error',
      request_id: plain.headers.get('x-request-id'),
    });
    expect(plainText).not.toMatch(internals);
  });

  it('an unknown route: 404 with a reason and the request id', async () => {
    const res = await fetch(`${base}/api/v1/nowhere`);
    expect(res.status).toBe(404);
    expect(await res.json()).toEqual({
      error: 'not_found',
      message: 'no such route',
      request_id: res.headers.get('x-request-id'),
    });
  });

  it('an unsafe incoming x-request-id is replaced by a fresh one', async () => {
    const res = await fetch(`${base}/health`, {
      headers: { 'x-request-id': 'bad id\twith"quotes' },
    });
    expect(res.headers.get('x-request-id')).toMatch(/^[0-9a-f-]{36}$/);
  });
});
