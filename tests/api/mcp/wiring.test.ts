import type { FastifyInstance } from 'fastify';
import { post } from '../../helpers/http';
import { startTestNatsWithStreams, type TestNats } from '../../helpers/nats';
import { startLimitsServer } from '../limits/server';

describe('MCP routes inside the HTTP server of api/http.ts', () => {
  let nats: TestNats;
  let app: FastifyInstance;
  let base: string;
  beforeAll(async () => {
    nats = await startTestNatsWithStreams();
    ({ app, base } = await startLimitsServer(nats));
  });
  afterAll(async () => {
    await app.close();
    await nats.stop();
  });

  it('leaves the existing routes and their JSON parsing as they were', async () => {
    expect((await fetch(`${base}/health`)).status).toBe(200);
    const bad = await post(base, '/api/v1/search', '{"query": ');
    expect(bad.status).toBe(400);
    expect(await bad.json()).not.toHaveProperty('jsonrpc');
    const search = await post(base, '/api/v1/search', '{"query": ""}');
    expect(await search.json()).toMatchObject({ error: 'invalid_request' });
  });

  it('serves the MCP routes next to them', async () => {
    expect((await fetch(`${base}/mcp/status`)).status).toBe(200);
    const res = await post(base, '/mcp/mcp/v1', {
      jsonrpc: '2.0',
      id: '1',
      method: 'tools/call',
      params: { name: 'get_readiness', arguments: {} },
    });
    expect(await res.json()).toMatchObject({ result: { status: 'ready', roles: ['api'] } });
    const parse = await post(base, '/mcp', '{"jsonrpc": ');
    expect(parse.status).toBe(400);
    expect(await parse.json()).toMatchObject({ error: { code: -32700 } });
  });
});
