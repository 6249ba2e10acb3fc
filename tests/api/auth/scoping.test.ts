import { shardOf } from '../../../schemas/ids';
import { STREAM } from '../../../streams/definitions';
import { publishMany, record, upload } from '../../helpers/uploads';
import { waitFor } from '../../helpers/wait-for';
import {
  call,
  roleIdentity,
  startAuthServer,
  type AuthServer,
  type TestIdentity,
} from './auth-server';

const A = 'scope-a';
const B = 'scope-b';
/** shares A's shard, so a search of that shard must filter it out, not just pick shards */
const C = (() => {
  for (let i = 0; ; i++) if (shardOf(`scope-c${i}`) === shardOf(A)) return `scope-c${i}`;
})();
const TEAM: TestIdentity = { name: 'team-ab', role: 'writer', systems: [A, B] };
const TOPIC = 'aurora borealis over the fjord at night';

interface Hit {
  system_id: string;
  id: string;
}
interface SearchBody {
  results: Hit[];
  cache: string;
}

describe('system scoping on the server', () => {
  let server: AuthServer;
  let team: string;
  let admin: string;

  const search = async (credential: string, body: Record<string, unknown>) => {
    const res = await call(server.base, 'POST', '/api/v1/search', credential, {
      query: TOPIC,
      limit: 50,
      ...body,
    });
    return { status: res.status, body: (await res.json()) as SearchBody & Record<string, unknown> };
  };
  const rpc = async (credential: string, name: string, args: Record<string, unknown>) => {
    const res = await call(server.base, 'POST', '/mcp', credential, {
      jsonrpc: '2.0',
      id: 1,
      method: 'tools/call',
      params: { name, arguments: args },
    });
    return (await res.json()) as {
      result?: { structuredContent: Record<string, unknown> };
      error?: { code: number; data?: Record<string, unknown> };
    };
  };
  const uploadsLastSeq = async () => {
    const jsm = await server.nats.js.jetstreamManager();
    return (await jsm.streams.info(STREAM.uploads)).state.last_seq;
  };

  beforeAll(async () => {
    server = await startAuthServer({}, [TEAM]);
    team = server.token(TEAM);
    admin = server.token(roleIdentity('admin'));
    const systems = [
      { system: A, count: 3 },
      { system: B, count: 3 },
      { system: C, count: 20 },
    ];
    await publishMany(server.nats.js, systems.length, (i) => {
      const { system, count } = systems[i]!;
      const records = Array.from({ length: count }, (_, n) =>
        record(`${system}-r${n}`, `${TOPIC} (${system} note ${n})`, {
          project: n % 2 ? 'odd' : 'even',
        }),
      );
      return upload(system, `${system}-upload`, records);
    });
    await waitFor(
      async () => {
        const res = await call(server.base, 'GET', '/api/v1/systems', admin);
        const body = (await res.json()) as { totals?: { hot: number } };
        return body.totals?.hot === 26;
      },
      { timeoutMs: 60_000, intervalMs: 200 },
    );
  }, 120_000);
  afterAll(() => server.close());

  it('never returns another system to a scoped principal, cached or not, while an admin sees it', async () => {
    const first = await search(admin, {});
    expect(first.status).toBe(200);
    expect(first.body.results.some((h) => h.system_id === C)).toBe(true);

    for (let round = 0; round < 2; round++) {
      const scoped = await search(team, {});
      expect(scoped.status).toBe(200);
      expect(new Set(scoped.body.results.map((h) => h.system_id))).toEqual(new Set([A, B]));
      expect(scoped.body.results).toHaveLength(6);
      if (round === 1) expect(scoped.body.cache).toBe('hit');
    }
    const again = await search(admin, {});
    expect(again.body.cache).toBe('hit');
    expect(again.body.results.filter((h) => h.system_id === C)).toHaveLength(20);
  });

  it('fills the limit from the scope even when another system crowds the shared shard', async () => {
    const scoped = await search(team, { limit: 5 });
    expect(scoped.body.results).toHaveLength(5);
    expect(scoped.body.results.every((h) => h.system_id === A || h.system_id === B)).toBe(true);
    const filtered = await search(team, { project: 'even' });
    expect(filtered.body.results.length).toBeGreaterThan(0);
    expect(filtered.body.results.every((h) => h.system_id !== C)).toBe(true);
    const own = await search(team, { system_id: A });
    expect(own.body.results.map((h) => h.system_id)).toEqual([A, A, A]);
  });

  it('refuses a system_id filter outside the scope with 403', async () => {
    const refused = await search(team, { system_id: C });
    expect(refused.status).toBe(403);
    expect(refused.body).toMatchObject({ error: 'forbidden', need: 'reader', system: C });
  });

  it('reads memories and lists systems of the scope only', async () => {
    const own = await call(server.base, 'GET', `/api/v1/memories/${A}/${A}-r0`, team);
    expect(own.status).toBe(200);
    await own.body?.cancel();
    const other = await call(server.base, 'GET', `/api/v1/memories/${C}/${C}-r0`, team);
    expect(other.status).toBe(403);
    expect(await other.json()).toMatchObject({ error: 'forbidden', need: 'reader', system: C });

    const systems = await call(server.base, 'GET', '/api/v1/systems', team);
    const body = (await systems.json()) as {
      systems: { system_id: string }[];
      totals: { hot: number; warm: number; cold: number };
    };
    expect(body.systems.map((s) => s.system_id)).toEqual([A, B]);
    expect(body.totals).toEqual({ hot: 6, warm: 0, cold: 0 });
    const filtered = await call(server.base, 'GET', `/api/v1/systems?system_id=${C}`, team);
    expect(filtered.status).toBe(403);
    await filtered.body?.cancel();
  });

  it('scopes the MCP search tool the same way', async () => {
    const scoped = await rpc(team, 'search_all_systems', { query: TOPIC, limit: 50, threshold: 0 });
    const results = scoped.result!.structuredContent.results as Hit[];
    expect(new Set(results.map((h) => h.system_id))).toEqual(new Set([A, B]));
    const refused = await rpc(team, 'search_all_systems', { query: TOPIC, system_id: C });
    expect(refused.error).toMatchObject({
      code: -32003,
      data: { error: 'forbidden', need: 'reader', system: C },
    });
  });

  it('refuses to store as a system outside the scope and publishes nothing', async () => {
    const before = await uploadsLastSeq();
    const one = await rpc(team, 'store_memory', { text: 'planted', metadata: { source: C } });
    expect(one.error).toMatchObject({ code: -32003, data: { need: 'writer', system: C } });
    const asArgument = await rpc(team, 'store_memory', { text: 'planted', system_id: C });
    expect(asArgument.error).toMatchObject({ code: -32003, data: { system: C } });
    const reflection = await rpc(team, 'store_reflection', {
      reflection_id: 'r-1',
      content: 'planted',
      metadata: { source: C },
    });
    expect(reflection.error).toMatchObject({ code: -32003 });
    const batch = await rpc(team, 'batch_store_memories', {
      memories: [
        { memory_id: 'ok-1', text: 'fine', metadata: { source: A } },
        { memory_id: 'bad-1', text: 'planted', metadata: { source: C } },
      ],
    });
    expect(batch.error).toMatchObject({ code: -32003, data: { system: C } });
    // a system_id argument outside the scope refuses the call even when each source is in it
    const mixed = await rpc(team, 'store_memory', {
      text: 'planted',
      system_id: C,
      metadata: { source: A },
    });
    expect(mixed.error).toMatchObject({ code: -32003, data: { need: 'writer', system: C } });
    const mixedBatch = await rpc(team, 'batch_store_memories', {
      system_id: C,
      memories: [{ memory_id: 'ok-2', text: 'fine', metadata: { source: B } }],
    });
    expect(mixedBatch.error).toMatchObject({ code: -32003, data: { system: C } });
    for (const tool of ['create_entity', 'create_relation']) {
      const args =
        tool === 'create_entity'
          ? { name: 'n', entity_type: 't', metadata: { source: C } }
          : { from_entity: 'x', to_entity: 'y', relation_type: 'r', metadata: { source: C } };
      expect((await rpc(team, tool, args)).error).toMatchObject({ code: -32003 });
    }
    const plain = await call(server.base, 'POST', '/mcp/tools/call', team, {
      name: 'store_memory',
      arguments: { text: 'planted', metadata: { source: C } },
    });
    expect(plain.status).toBe(403);
    expect(await plain.json()).toMatchObject({ error: 'forbidden', need: 'writer', system: C });
    expect(await uploadsLastSeq()).toBe(before);

    const stored = await rpc(team, 'store_memory', { text: 'allowed', metadata: { source: A } });
    expect(stored.result!.structuredContent).toMatchObject({ status: 'stored', system_id: A });
    expect(await uploadsLastSeq()).toBe(before + 1);
  });
});
