import { buildOpenApiDocument } from '../../../api/openapi/document';
import { EntityDetail, NoGraph } from '../../../api/openapi/graph-schemas';
import { GraphMessage } from '../../../schemas/graph';
import { startTestNats, type TestNats } from '../../helpers/nats';
import { registeredRoutes, routeMatchesPath } from '../../helpers/routes';
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

const FILE = 'file:src/api/http.ts';

describe('graph REST routes against a real graph store', () => {
  let nats: TestNats;
  let filled: FilledGraph;
  let server: LimitsServer;
  const get = (reader: string, path: string) => getAs(server.base, reader, `/api/v1/graph${path}`);

  beforeAll(async () => {
    [nats, filled] = await Promise.all([startTestNats(), openFilledGraph()]);
    await filled.graph.apply(
      GraphMessage.parse({
        schema_version: 1,
        system_id: B,
        batch_id: 'batch-b-2',
        created_at: '2026-11-21T10:00:00.000Z',
        entities: [
          {
            source_id: 'b-e5',
            name: 'src/api/http.ts',
            entity_type: 'file',
            updated_at: '2026-11-21T10:00:00.000Z',
          },
        ],
      }),
    );
    server = await startLimitsServer(nats, { authenticator: readerTokens, graph: filled.graph });
  });
  afterAll(async () => {
    await server.close();
    await filled.close();
    await nats.stop();
  });

  it('shows an entity with every visible system and source id that states it', async () => {
    const { status, body } = await get('everyone', `/entities/${enc(AKOSHA)}`);
    expect(status).toBe(200);
    expect(EntityDetail.strict().parse(body)).toEqual({
      entity_id: AKOSHA,
      entity_type: 'project',
      name: 'Akosha',
      systems: [A, B],
      sources: [
        { system_id: A, source_id: 'a-e2' },
        { system_id: B, source_id: 'b-e2' },
      ],
      observations: ['Akosha is known to this system'],
      properties: { origin: expect.stringMatching(/^[ab]-e2$/) },
      updated_at: '2026-11-20T10:00:00.000Z',
    });
    const ofA = await get('only-a', `/entities/${enc(AKOSHA)}`);
    expect(ofA.body).toMatchObject({
      systems: [A],
      sources: [{ system_id: A, source_id: 'a-e2' }],
    });
  });

  it('answers 404 for an unknown entity and for one no visible system states', async () => {
    for (const [reader, id] of [
      ['everyone', 'person:nobody'],
      ['only-a', DUCKDB],
      ['only-a', CPP],
    ] as const) {
      const { status, body } = await get(reader, `/entities/${enc(id)}`);
      expect({ reader, id, status, body }).toEqual({
        reader,
        id,
        status: 404,
        body: { error: 'not_found' },
      });
    }
    expect((await get('only-b', `/entities/${enc(DUCKDB)}`)).status).toBe(200);
  });

  it('takes an id holding "/" percent-encoded, and the longest id (1200 characters)', async () => {
    const file = await get('everyone', `/entities/${enc(FILE)}`);
    expect(file).toMatchObject({ status: 200, body: { entity_id: FILE, name: 'src/api/http.ts' } });
    const neighbors = await get('everyone', `/entities/${enc(FILE)}/neighbors`);
    expect(neighbors).toEqual({
      status: 200,
      body: { entity_id: FILE, total_neighbors: 0, neighbors: [] },
    });
    const longest = `person:${'é'.repeat(1193)}`;
    const long = await get('everyone', `/entities/${enc(longest)}/neighbors`);
    expect(long).toEqual({
      status: 200,
      body: { entity_id: longest, total_neighbors: 0, neighbors: [] },
    });
    expect((await get('everyone', `/entities/${enc(longest)}`)).status).toBe(404);
  });

  it('refuses bad parameters with 400 and every issue', async () => {
    const bad: [string, string][] = [
      [`/entities/${enc('x'.repeat(1201))}`, 'entity_id'],
      [`/entities/${enc('x'.repeat(1201))}/neighbors`, 'entity_id'],
      [`/entities/${enc(AKOSHA)}/neighbors?limit=0`, 'limit'],
      [`/entities/${enc(AKOSHA)}/neighbors?limit=501`, 'limit'],
      [`/entities/${enc(AKOSHA)}/neighbors?limit=ten`, 'limit'],
      [`/entities/${enc(AKOSHA)}/neighbors?edge_type=${'e'.repeat(201)}`, 'edge_type'],
      [`/path?source_id=${enc(ALICE)}`, 'target_id'],
      [`/path?target_id=${enc(CPP)}`, 'source_id'],
      [`/path?source_id=${enc(ALICE)}&target_id=${enc(CPP)}&max_hops=7`, 'max_hops'],
      [`/path?source_id=${enc(ALICE)}&target_id=${enc(CPP)}&max_hops=0`, 'max_hops'],
    ];
    for (const [path, field] of bad) {
      const { status, body } = await get('everyone', path);
      expect({ path, status }).toEqual({ path, status: 400 });
      expect(body).toMatchObject({
        error: 'invalid_request',
        issues: [expect.objectContaining({ path: field })],
      });
    }
  });

  it('lists the graph routes in the OpenAPI document, each one served', async () => {
    const doc = buildOpenApiDocument();
    const graphPaths = Object.keys(doc.paths).filter((p) => p.startsWith('/api/v1/graph/'));
    expect(graphPaths.sort()).toEqual([
      '/api/v1/graph/entities/{entity_id}',
      '/api/v1/graph/entities/{entity_id}/neighbors',
      '/api/v1/graph/path',
      '/api/v1/graph/statistics',
    ]);
    const routes = registeredRoutes(server.app).filter((r) => r.url.startsWith('/api/v1/graph/'));
    expect(routes).toHaveLength(4);
    for (const path of graphPaths)
      expect(routes.some((r) => r.method === 'GET' && routeMatchesPath(r.url, path))).toBe(true);
    const schemas = doc.components.schemas as Record<string, unknown>;
    for (const name of [
      'EntityDetail',
      'GraphNeighbors',
      'GraphPath',
      'GraphStatistics',
      'NoGraph',
    ])
      expect(schemas).toHaveProperty([name]);
    expect(JSON.stringify(doc.paths['/api/v1/graph/path'])).toContain('"name":"max_hops"');
  });
});

describe('graph routes and tools in a process without a graph store', () => {
  let nats: TestNats;
  let server: LimitsServer;
  beforeAll(async () => {
    nats = await startTestNats();
    server = await startLimitsServer(nats, { authenticator: readerTokens });
  });
  afterAll(async () => {
    await server.close();
    await nats.stop();
  });

  it('answers the REST routes 503 no_graph (after checking the parameters)', async () => {
    for (const path of [
      `/entities/${enc(AKOSHA)}`,
      `/entities/${enc(AKOSHA)}/neighbors`,
      `/path?source_id=${enc(ALICE)}&target_id=${enc(CPP)}`,
      '/statistics',
    ]) {
      const { status, body } = await getAs(server.base, 'everyone', `/api/v1/graph${path}`);
      expect({ path, status }).toEqual({ path, status: 503 });
      NoGraph.strict().parse(body);
    }
    const bad = await getAs(server.base, 'everyone', '/api/v1/graph/path');
    expect(bad.status).toBe(400);
  });

  it('answers each tool with a JSON-RPC error saying no graph store is held', async () => {
    const calls: [string, unknown][] = [
      ['query_knowledge_graph', { entity_id: AKOSHA }],
      ['find_path', { source_id: ALICE, target_id: CPP }],
      ['get_graph_statistics', {}],
    ];
    for (const [name, args] of calls) {
      const rpc = await rpcCall(server.base, 'everyone', name, args);
      expect(rpc.error).toEqual({
        code: -32001,
        message: expect.stringContaining('holds no graph store'),
        data: { reason: 'no_graph' },
      });
      const plain = await callTool(server.base, 'everyone', name, args);
      expect(plain).toMatchObject({ status: 503, body: { error: 'unavailable' } });
    }
  });
});
