import { startTestNatsWithStreams, type TestNats } from '../../helpers/nats';
import { startLimitsServer, type LimitsServer } from './server';

const ping = (id: number) => ({ jsonrpc: '2.0', id, method: 'ping' });

describe('MCP transport rules on every /mcp* route', () => {
  let nats: TestNats;
  let server: LimitsServer;
  let port: string;
  beforeAll(async () => {
    nats = await startTestNatsWithStreams();
    server = await startLimitsServer(nats, {
      limits: { mcpAllowedOrigins: ['https://console.example.org'] },
    });
    port = new URL(server.base).port;
  });
  afterAll(async () => {
    await server.close();
    await nats.stop();
  });

  const send = (path: string, headers: Record<string, string>, body: unknown = ping(1)) =>
    fetch(`${server.base}${path}`, {
      method: 'POST',
      headers,
      body: typeof body === 'string' ? body : JSON.stringify(body),
    });
  const json = { 'content-type': 'application/json' };

  it('takes requests without Origin, and from the loopback origins of its port', async () => {
    expect((await send('/mcp', json)).status).toBe(200);
    for (const origin of [`http://127.0.0.1:${port}`, `http://localhost:${port}`])
      expect((await send('/mcp', { ...json, origin })).status).toBe(200);
    const listed = await send('/mcp', { ...json, origin: 'https://console.example.org' });
    expect(listed.status).toBe(200);
  });

  it('refuses any other Origin with 403 on every /mcp* route, GET included', async () => {
    for (const origin of ['https://evil.example', 'null', `http://127.0.0.1:${Number(port) + 1}`]) {
      for (const path of ['/mcp', '/mcp/mcp/v1', '/mcp/tools/call']) {
        const res = await send(path, { ...json, origin });
        expect(res.status).toBe(403);
        expect(JSON.stringify(await res.json())).toContain('origin_not_allowed');
      }
      const status = await fetch(`${server.base}/mcp/status`, { headers: { origin } });
      expect(status.status).toBe(403);
    }
  });

  it('refuses a text/plain POST (a browser "simple request") that would plant a memory: 415', async () => {
    const plant = {
      jsonrpc: '2.0',
      id: 1,
      method: 'tools/call',
      params: { name: 'store_memory', arguments: { content: 'planted' } },
    };
    for (const type of ['text/plain', 'application/x-www-form-urlencoded', 'multipart/form-data']) {
      const res = await send('/mcp', { 'content-type': type }, plant);
      expect(res.status).toBe(415);
      expect(await res.json()).toMatchObject({
        error: { data: { reason: 'unsupported_media_type' } },
      });
    }
    const tools = await send('/mcp/tools/call', { 'content-type': 'text/plain' }, plant);
    expect(tools.status).toBe(415);
    expect(await tools.json()).toMatchObject({ error: 'unsupported_media_type' });
    const charset = await send('/mcp', { 'content-type': 'application/json; charset=utf-8' });
    expect(charset.status).toBe(200);
  });

  it('answers a batch of 50 calls and refuses 51 with a JSON-RPC error', async () => {
    const fifty = Array.from({ length: 50 }, (_, i) => ping(i));
    const ok = await send('/mcp', json, fifty);
    expect(ok.status).toBe(200);
    expect(await ok.json()).toHaveLength(50);
    const over = await send('/mcp/mcp/v1', json, [...fifty, ping(50)]);
    expect(over.status).toBe(400);
    expect(await over.json()).toMatchObject({
      jsonrpc: '2.0',
      id: null,
      error: { code: -32600, message: expect.stringContaining('at most 50') },
    });
  });
});
