import { GraphPath, GraphStatistics, Neighbors } from '../../../api/openapi/graph-schemas';
import { startTestNats, type TestNats } from '../../helpers/nats';
import { startLimitsServer, type LimitsServer } from '../limits/server';
import {
  A,
  AKOSHA,
  ALICE,
  B,
  CPP,
  DUCKDB,
  callTool,
  enc,
  getAs,
  openFilledGraph,
  readerTokens,
  rpcCall,
  type FilledGraph,
} from './fixture';

describe('graph MCP tools against a real graph store', () => {
  let nats: TestNats;
  let filled: FilledGraph;
  let server: LimitsServer;
  const tool = async (reader: string, name: string, args: unknown) => {
    const { status, body } = await callTool(server.base, reader, name, args);
    expect({ name, status }).toEqual({ name, status: 200 });
    return body.result as Record<string, unknown>;
  };

  beforeAll(async () => {
    [nats, filled] = await Promise.all([startTestNats(), openFilledGraph()]);
    server = await startLimitsServer(nats, { authenticator: readerTokens, graph: filled.graph });
  });
  afterAll(async () => {
    await server.close();
    await filled.close();
    await nats.stop();
  });

  it("query_knowledge_graph answers the Python Akosha's shape, edges of both directions", async () => {
    const reply = Neighbors.strict().parse(
      await tool('everyone', 'query_knowledge_graph', { entity_id: AKOSHA }),
    );
    expect(reply).toEqual({
      entity_id: AKOSHA,
      total_neighbors: 2,
      neighbors: [
        {
          entity_id: ALICE,
          entity_type: 'person',
          edge_type: 'works_on',
          weight: 2,
          properties: { since: 2024 },
        },
        {
          entity_id: DUCKDB,
          entity_type: 'tool',
          edge_type: 'uses',
          weight: 1,
          properties: { since: 2024 },
        },
      ],
    });
  });

  it('matches ids as stored: type and name lower-cased, whitespace collapsed', async () => {
    const reply = await tool('everyone', 'query_knowledge_graph', {
      entity_id: ' Project: AKOSHA ',
    });
    expect(reply).toMatchObject({ entity_id: AKOSHA, total_neighbors: 2 });
    const path = await tool('everyone', 'find_path', { source_id: 'Person:Alice', target_id: CPP });
    expect(path).toMatchObject({ source_id: ALICE, path_found: true });
  });

  it('query_knowledge_graph takes edge_type and limit; total_neighbors counts before the limit', async () => {
    const typed = await tool('everyone', 'query_knowledge_graph', {
      entity_id: AKOSHA,
      edge_type: 'uses',
    });
    expect(typed).toMatchObject({ total_neighbors: 1, neighbors: [{ entity_id: DUCKDB }] });
    const limited = await tool('everyone', 'query_knowledge_graph', {
      entity_id: AKOSHA,
      limit: 1,
    });
    expect(limited).toMatchObject({ total_neighbors: 2, neighbors: [{ entity_id: ALICE }] });
    expect((limited.neighbors as unknown[]).length).toBe(1);
  });

  it('find_path finds the 3-hop chain over both systems, and not within 2 hops', async () => {
    const found = GraphPath.strict().parse(
      await tool('everyone', 'find_path', { source_id: ALICE, target_id: CPP }),
    );
    expect(found).toEqual({
      source_id: ALICE,
      target_id: CPP,
      path_found: true,
      path: [ALICE, AKOSHA, DUCKDB, CPP],
      hops: 3,
    });
    const short = await tool('everyone', 'find_path', {
      source_id: ALICE,
      target_id: CPP,
      max_hops: 2,
    });
    expect(short).toEqual({ source_id: ALICE, target_id: CPP, path_found: false });
  });

  it('get_graph_statistics counts entities and edges by type, overall and per system', async () => {
    const stats = GraphStatistics.strict().parse(
      await tool('everyone', 'get_graph_statistics', {}),
    );
    expect(stats).toMatchObject({
      total_entities: 4,
      total_edges: 3,
      entity_types: { person: 1, project: 1, tool: 1, language: 1 },
      edge_types: { works_on: 1, uses: 1, written_in: 1 },
    });
    expect(stats.systems[A]).toMatchObject({ total_entities: 2, total_edges: 1 });
    expect(stats.systems[B]).toMatchObject({ total_entities: 4, total_edges: 3 });
  });

  it("a reader scoped to system A sees none of B's edges, entities or counts", async () => {
    const near = await tool('only-a', 'query_knowledge_graph', { entity_id: AKOSHA });
    expect(near).toEqual({
      entity_id: AKOSHA,
      total_neighbors: 1,
      neighbors: [expect.objectContaining({ entity_id: ALICE, weight: 1 })],
    });
    const path = await tool('only-a', 'find_path', {
      source_id: ALICE,
      target_id: CPP,
      max_hops: 6,
    });
    expect(path).toMatchObject({ path_found: false });
    const stats = await tool('only-a', 'get_graph_statistics', {});
    expect(stats).toMatchObject({ total_entities: 2, total_edges: 1 });
    expect(Object.keys(stats.systems as object)).toEqual([A]);
    const ofB = await tool('only-b', 'query_knowledge_graph', { entity_id: AKOSHA });
    expect(ofB).toMatchObject({ total_neighbors: 2 });
  });

  it('answers the same dicts as MCP content on /mcp', async () => {
    const args = { source_id: ALICE, target_id: CPP };
    const rpc = await rpcCall(server.base, 'everyone', 'find_path', args);
    expect(rpc.result?.structuredContent).toEqual(await tool('everyone', 'find_path', args));
  });

  it('the REST routes answer exactly what the tools answer', async () => {
    const pairs: [string, unknown, string][] = [
      [
        'query_knowledge_graph',
        { entity_id: AKOSHA, limit: 1 },
        `/entities/${enc(AKOSHA)}/neighbors?limit=1`,
      ],
      [
        'query_knowledge_graph',
        { entity_id: AKOSHA, edge_type: 'works_on' },
        `/entities/${enc(AKOSHA)}/neighbors?edge_type=works_on`,
      ],
      [
        'find_path',
        { source_id: ALICE, target_id: CPP },
        `/path?source_id=${enc(ALICE)}&target_id=${enc(CPP)}`,
      ],
      ['get_graph_statistics', {}, '/statistics'],
    ];
    for (const reader of ['everyone', 'only-a']) {
      for (const [name, args, path] of pairs) {
        const rest = await getAs(server.base, reader, `/api/v1/graph${path}`);
        expect({ path, status: rest.status }).toEqual({ path, status: 200 });
        expect(rest.body).toEqual(await tool(reader, name, args));
      }
    }
  });

  it('refuses bad arguments with INVALID_PARAMS naming each one (HTTP 400 on /mcp/tools/call)', async () => {
    const bad: [string, Record<string, unknown>, string][] = [
      ['query_knowledge_graph', {}, 'entity_id'],
      ['query_knowledge_graph', { entity_id: '' }, 'entity_id'],
      ['query_knowledge_graph', { entity_id: 'x'.repeat(1201) }, 'entity_id'],
      ['query_knowledge_graph', { entity_id: AKOSHA, limit: 0 }, 'limit'],
      ['query_knowledge_graph', { entity_id: AKOSHA, limit: 501 }, 'limit'],
      ['query_knowledge_graph', { entity_id: AKOSHA, limit: 2.5 }, 'limit'],
      ['query_knowledge_graph', { entity_id: AKOSHA, edge_type: 'e'.repeat(201) }, 'edge_type'],
      ['find_path', { source_id: ALICE }, 'target_id'],
      ['find_path', { source_id: ALICE, target_id: CPP, max_hops: 0 }, 'max_hops'],
      ['find_path', { source_id: ALICE, target_id: CPP, max_hops: 7 }, 'max_hops'],
    ];
    for (const [name, args, field] of bad) {
      const { status, body } = await callTool(server.base, 'everyone', name, args);
      expect({ args, status }).toEqual({ args, status: 400 });
      expect(body).toMatchObject({
        error: 'invalid_params',
        issues: [expect.objectContaining({ path: field })],
      });
      const rpc = await rpcCall(server.base, 'everyone', name, args);
      expect(rpc.error).toMatchObject({
        code: -32602,
        data: { issues: [expect.objectContaining({ path: field })] },
      });
    }
  });

  it('takes the longest id allowed (1200 characters)', async () => {
    const longest = `person:${'a'.repeat(1193)}`;
    const reply = await tool('everyone', 'query_knowledge_graph', { entity_id: longest });
    expect(reply).toEqual({ entity_id: longest, total_neighbors: 0, neighbors: [] });
  });
});
