import { ROUTE_PERMISSIONS, TOOL_PERMISSIONS } from '../../../auth/permissions';
import { ACCESS_ROLES, hasRole, type Principal } from '../../../auth/principal';
import {
  call,
  roleIdentity,
  signJwt,
  startAuthServer,
  startRs256Issuer,
  type AuthServer,
  type Rs256Issuer,
} from './auth-server';

/** A concrete request for each matrix entry: parameters filled in, a small body for POSTs. */
function requestOf(key: string): { method: string; path: string; body?: unknown } {
  const [method, route] = key.split(' ') as [string, string];
  const path = route.replace(':seq', '1').replace(':tier', 'warm').replace('*', 'sys-a/rec-1');
  if (method !== 'POST') return { method, path };
  if (path.startsWith('/mcp'))
    return { method, path, body: { jsonrpc: '2.0', id: 1, method: 'ping' } };
  const bodies: Record<string, unknown> = {
    '/api/v1/search': { query: 'matrix' },
    '/api/v1/embeddings': { text: 'matrix' },
    '/api/v1/embeddings/batch': { texts: ['matrix'] },
    '/mcp/tools/call': { name: 'get_liveness', arguments: {} },
  };
  return { method, path, body: bodies[path] ?? {} };
}

const refused = (status: number) => status === 401 || status === 403;

const principalOf = (role: (typeof ACCESS_ROLES)[number]): Principal => ({
  ...roleIdentity(role),
  via: 'token',
});

/** token: static tokens; jwt: HS256 JWTs; jwks: RS256 JWTs whose key a local JWKS serves. */
const KINDS = ['token', 'jwt', 'jwks'] as const;

describe.each(KINDS)('the permission matrix with %s credentials', (kind) => {
  let server: AuthServer;
  let issuer: Rs256Issuer | undefined;
  const credentials = new Map<string, string>();
  let bad: string;

  const credentialOf = (role: (typeof ACCESS_ROLES)[number]): Promise<string> | string => {
    const identity = roleIdentity(role);
    if (kind === 'token') return server.token(identity);
    return kind === 'jwt' ? server.jwt(identity) : issuer!.sign(identity);
  };

  beforeAll(async () => {
    if (kind === 'jwks') issuer = await startRs256Issuer();
    server = await startAuthServer(issuer ? { AKOSHA_AUTH_JWKS_URL: issuer.url } : {});
    for (const role of ACCESS_ROLES) credentials.set(role, await credentialOf(role));
    const forgedAdmin = roleIdentity('admin');
    if (kind === 'token') bad = `akosha_${'x'.repeat(43)}`;
    else if (kind === 'jwt')
      bad = await signJwt(forgedAdmin, 'another-secret-0123456789abcdefghij');
    else bad = await issuer!.forge(forgedAdmin);
  }, 60_000);
  afterAll(async () => {
    await server?.close();
    await issuer?.close();
  });

  it.each(Object.entries(ROUTE_PERMISSIONS))('%s needs %s', async (key, need) => {
    const { method, path, body } = requestOf(key);
    const send = (credential: string | undefined) =>
      call(server.base, method, path, credential, body);
    const open = need === 'public';

    const anonymous = await send(undefined);
    const forged = await send(bad);
    if (open) {
      expect([anonymous.status, forged.status]).not.toContain(401);
    } else {
      expect(anonymous.status).toBe(401);
      expect(anonymous.headers.get('www-authenticate')).toBe('Bearer');
      expect(await anonymous.json()).toMatchObject({ error: 'unauthorized' });
      expect(forged.status).toBe(401);
      expect(forged.headers.get('www-authenticate')).toBe('Bearer error="invalid_token"');
    }
    for (const role of ACCESS_ROLES) {
      const res = await send(credentials.get(role));
      const allowed = need === 'public' || hasRole(principalOf(role), need);
      if (allowed) {
        expect(refused(res.status) ? `${role} refused with ${res.status}` : 'let in').toBe(
          'let in',
        );
      } else {
        expect({ role, status: res.status }).toEqual({ role, status: 403 });
        const denial = (await res.json()) as Record<string, unknown>;
        expect(denial).toMatchObject({ error: 'forbidden', need });
        expect(typeof denial.request_id).toBe('string');
      }
      if (!res.bodyUsed) await res.body?.cancel();
    }
  });

  it.each(Object.entries(TOOL_PERMISSIONS))('MCP tool %s needs %s', async (tool, need) => {
    for (const role of ACCESS_ROLES) {
      const credential = credentials.get(role);
      const allowed = hasRole(principalOf(role), need);
      const rpc = await call(server.base, 'POST', '/mcp', credential, {
        jsonrpc: '2.0',
        id: 7,
        method: 'tools/call',
        params: { name: tool, arguments: {} },
      });
      expect(rpc.status).toBe(200);
      const answer = (await rpc.json()) as { error?: { code: number; data?: unknown } };
      if (allowed) expect({ role, code: answer.error?.code }).not.toEqual({ role, code: -32003 });
      else
        expect({ role, error: answer.error }).toMatchObject({
          role,
          error: { code: -32003, data: { error: 'forbidden', need } },
        });

      const plain = await call(server.base, 'POST', '/mcp/tools/call', credential, {
        name: tool,
        arguments: {},
      });
      if (allowed) expect({ role, status: plain.status }).not.toEqual({ role, status: 403 });
      else {
        expect({ role, status: plain.status }).toEqual({ role, status: 403 });
        expect(await plain.json()).toMatchObject({ error: 'forbidden', need });
      }
      if (!plain.bodyUsed) await plain.body?.cancel();
    }
  });

  it('lists in tools/list only the tools a role may call', async () => {
    for (const role of ACCESS_ROLES) {
      const res = await call(server.base, 'POST', '/mcp', credentials.get(role), {
        jsonrpc: '2.0',
        id: 1,
        method: 'tools/list',
      });
      const { result } = (await res.json()) as { result: { tools: { name: string }[] } };
      const expected = Object.entries(TOOL_PERMISSIONS)
        .filter(([, need]) => hasRole(principalOf(role), need))
        .map(([name]) => name)
        .sort();
      expect(result.tools.map((t) => t.name).sort()).toEqual(expected);
    }
  });

  it('answers an unknown route 401 without a credential and 404 with one', async () => {
    const anonymous = await call(server.base, 'GET', '/api/v1/nowhere', undefined);
    expect(anonymous.status).toBe(401);
    await anonymous.body?.cancel();
    const known = await call(server.base, 'GET', '/api/v1/nowhere', credentials.get('reader'));
    expect(known.status).toBe(404);
    await known.body?.cancel();
  });
});
