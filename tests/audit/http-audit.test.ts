import type { StoredAuditEvent } from '../../audit/reader';
import { call, startAuthServer, type AuthServer } from '../api/auth/auth-server';
import { waitFor } from '../helpers/wait-for';

const SYSTEM = 'audit-host';
const writer = { name: 'audit-writer', role: 'writer' as const, systems: [SYSTEM] };
const reader = { name: 'audit-reader', role: 'reader' as const, systems: [SYSTEM] };
const admin = { name: 'audit-admin', role: 'admin' as const, systems: '*' as const };

describe('audit trail of HTTP and MCP (real server, tokens, AKOSHA_AUDIT)', () => {
  let server: AuthServer;
  const list = async (query: string): Promise<StoredAuditEvent[]> => {
    const res = await call(server.base, 'GET', `/api/v1/audit?${query}`, server.token(admin));
    expect(res.status).toBe(200);
    return ((await res.json()) as { events: StoredAuditEvent[] }).events;
  };
  const eventually = (query: string, until: (events: StoredAuditEvent[]) => boolean) =>
    waitFor(() => list(query), { until, timeoutMs: 30_000, what: `audit events ${query}` });

  beforeAll(async () => {
    server = await startAuthServer();
    // tokens added to the file after the start are picked up by the running server
    for (const identity of [writer, reader, admin]) {
      const token = server.token(identity);
      await waitFor(() => call(server.base, 'GET', '/api/v1/systems', token), {
        until: (res) => res.status !== 401,
        what: `token of ${identity.name} accepted`,
      });
    }
  });
  afterAll(async () => {
    await server?.close();
  });

  it('records an MCP write with its principal, system and ids', async () => {
    const res = await call(server.base, 'POST', '/mcp/tools/call', server.token(writer), {
      name: 'store_memory',
      arguments: {
        memory_id: 'audit-m1',
        text: 'a memory whose write is audited',
        metadata: { source: SYSTEM },
      },
    });
    expect(res.status).toBe(200);
    const [event] = await eventually(`principal=${writer.name}&action=mcp`, (e) => e.length > 0);
    expect(event).toMatchObject({
      principal: writer.name,
      role: 'writer',
      action: 'mcp.store_memory',
      result: 'ok',
      target: { system: SYSTEM, ids: ['audit-m1'] },
    });
    expect(event!.source).toMatch(/127\.0\.0\.1/);
    expect(event!.request_id).toEqual(expect.any(String));
    expect(Date.parse(event!.at)).toBeGreaterThan(Date.now() - 60_000);
  });

  it('records a search with scope, filters and hit count, but not the query text', async () => {
    const res = await call(server.base, 'POST', '/api/v1/search', server.token(reader), {
      query: 'the secret plan of the quarter',
      project: 'apollo',
    });
    expect(res.status).toBe(200);
    const requestId = res.headers.get('x-request-id');
    const [event] = await eventually(`principal=${reader.name}&action=search`, (e) => e.length > 0);
    expect(event).toMatchObject({
      action: 'search',
      result: 'ok',
      request_id: requestId,
      target: { route: 'POST /api/v1/search' },
      detail: { scope: [SYSTEM], filters: { project: 'apollo' }, hits: expect.any(Number) },
    });
    expect(JSON.stringify(event)).not.toContain('secret plan');
  });

  it('records an MCP search with its hit count and scope, without the query', async () => {
    const res = await call(server.base, 'POST', '/mcp/tools/call', server.token(reader), {
      name: 'search_all_systems',
      arguments: { query: 'the other secret plan', limit: 5, threshold: 0 },
    });
    expect(res.status).toBe(200);
    const hits = ((await res.json()) as { results: unknown[] }).results.length;
    const [event] = await eventually(
      `principal=${reader.name}&action=mcp.search_all_systems`,
      (e) => e.length > 0,
    );
    expect(event).toMatchObject({
      result: 'ok',
      detail: { scope: [SYSTEM], hits, limit: 5, threshold: 0 },
    });
    expect(JSON.stringify(event)).not.toContain('secret plan');
  });

  it('records 401 and 403 once each, as auth.denied', async () => {
    expect((await call(server.base, 'GET', '/api/v1/dlq', undefined)).status).toBe(401);
    expect((await call(server.base, 'GET', '/api/v1/dlq', server.token(reader))).status).toBe(403);
    const denied = await eventually('action=auth.denied', (e) => e.length >= 2);
    expect(denied.map((e) => [e.principal, e.result, e.detail?.status])).toEqual(
      expect.arrayContaining([
        ['anonymous', 'denied', 401],
        [reader.name, 'denied', 403],
      ]),
    );
    // the 403 is not recorded a second time as a dlq.list error
    expect(await list(`principal=${reader.name}&action=dlq`)).toEqual([]);
  });

  it('records an admin action, and filters by action prefix, principal and time', async () => {
    const res = await call(server.base, 'POST', '/api/v1/aging/hot', server.token(admin));
    expect(res.status).toBe(202);
    const [event] = await eventually('action=aging', (e) => e.length > 0);
    expect(event).toMatchObject({
      principal: admin.name,
      role: 'admin',
      action: 'aging.trigger',
      detail: { tier: 'hot', status: 202 },
    });
    expect(await list('action=aging.trigger')).toHaveLength(1);
    expect(await list('action=agin')).toEqual([]); // a prefix of tokens, not of characters
    expect(await list(`principal=nobody`)).toEqual([]);
    const future = new Date(Date.now() + 60_000).toISOString();
    expect(await list(`since=${future}`)).toEqual([]);
    const limited = await call(server.base, 'GET', '/api/v1/audit?limit=1', server.token(admin));
    expect(await limited.json()).toMatchObject({ count: 1, truncated: true });
  });

  it('refuses bad audit queries with 400 and the issues', async () => {
    for (const query of ['since=soon', 'limit=5000', 'action=dlq.>', 'limit=0']) {
      const res = await call(server.base, 'GET', `/api/v1/audit?${query}`, server.token(admin));
      expect(res.status).toBe(400);
      expect(await res.json()).toMatchObject({
        error: 'invalid_request',
        issues: expect.any(Array),
      });
    }
  });
});
