import type { GraphStore } from '../../../storage/graph/types';
import { recordKey } from '../../../storage/write-plan';
import { entity, graphMessage, relation, tempGraphStore, T2 } from './graph-messages';

const ALL = '*' as const;
const A = 'query-a';
const B = 'query-b';
const akosha = { name: 'Akosha', entity_type: 'project' };
const duckdb = { name: 'DuckDB', entity_type: 'tool' };
const nats = { name: 'NATS', entity_type: 'tool' };
const node = (i: number) => ({ name: `n${i}`, entity_type: 'step' });

describe('graph store: scoped queries over two systems', () => {
  let store: GraphStore;
  let done: () => Promise<void>;
  beforeAll(async () => {
    ({ store, done } = await tempGraphStore());
    await store.apply(
      graphMessage(A, {
        entities: [
          entity('a1', 'Akosha', 'project', { observations: ['from a'], properties: { by: 'a' } }),
          entity('a2', 'DuckDB', 'tool'),
          entity('a3', 'NATS', 'tool'),
        ],
        relations: [
          relation('ra1', akosha, duckdb, 'uses', { properties: { since: 2024 } }),
          relation('ra2', nats, akosha, 'feeds'),
          // a chain n0 - n1 - n2 - n3 - n4 with edges in both directions
          relation('c1', node(0), node(1), 'next'),
          relation('c2', node(2), node(1), 'next'),
          relation('c3', node(2), node(3), 'next'),
          relation('c4', node(4), node(3), 'next'),
        ],
        mentions: [
          { record_id: 'rec-1', entity: akosha },
          { record_id: 'rec-1', entity: { name: 'nats' } },
        ],
      }),
    );
    await store.apply(
      graphMessage(B, {
        entities: [
          entity('b1', ' akosha ', 'Project', {
            observations: ['from b'],
            properties: { by: 'b' },
            updated_at: T2,
          }),
        ],
        relations: [
          relation('rb1', akosha, duckdb, 'uses', { properties: { since: 2025 }, updated_at: T2 }),
        ],
        mentions: [{ record_id: 'rec-2', entity: duckdb }],
      }),
    );
  });
  afterAll(() => done());

  it('one entity across two systems lists both, with their sources', async () => {
    const detail = await store.entity('project:akosha', ALL);
    expect(detail).toMatchObject({
      entity_id: 'project:akosha',
      entity_type: 'project',
      name: 'akosha',
      systems: [A, B],
      sources: [
        { system_id: A, source_id: 'a1' },
        { system_id: B, source_id: 'b1' },
      ],
      observations: ['from b', 'from a'],
      properties: { by: 'b' },
      updated_at: '2026-03-02T10:00:00.000Z',
    });
    expect(await store.entity('project:nothing', ALL)).toBeNull();
  });

  it('neighbors: both directions, weight = systems asserting the edge, newest properties', async () => {
    const reply = await store.neighbors('project:akosha', { limit: 50, scope: ALL });
    expect(reply).toEqual({
      entity_id: 'project:akosha',
      total_neighbors: 2,
      neighbors: [
        {
          entity_id: 'tool:duckdb',
          entity_type: 'tool',
          edge_type: 'uses',
          weight: 2,
          properties: { since: 2025 },
        },
        {
          entity_id: 'tool:nats',
          entity_type: 'tool',
          edge_type: 'feeds',
          weight: 1,
          properties: {},
        },
      ],
    });
  });

  it('neighbors: the edge type filter and the limit (the total counts before it)', async () => {
    const feeds = await store.neighbors('project:akosha', {
      edgeType: 'FEEDS',
      limit: 50,
      scope: ALL,
    });
    expect(feeds.neighbors.map((n) => n.entity_id)).toEqual(['tool:nats']);
    const one = await store.neighbors('project:akosha', { limit: 1, scope: ALL });
    expect([one.total_neighbors, one.neighbors.length]).toEqual([2, 1]);
    const none = await store.neighbors('project:akosha', { limit: 0, scope: ALL });
    expect([none.total_neighbors, none.neighbors.length]).toEqual([2, 0]);
  });

  it("a scope hides other systems' statements and their weight", async () => {
    const onlyB = await store.neighbors('project:akosha', { limit: 50, scope: [B] });
    expect(onlyB.neighbors.map((n) => [n.entity_id, n.weight])).toEqual([['tool:duckdb', 1]]);
    expect((await store.entity('project:akosha', [B]))?.systems).toEqual([B]);
    expect((await store.entity('project:akosha', [B]))?.observations).toEqual(['from b']);
    expect(await store.entity('tool:nats', [B])).toBeNull();
    expect(await store.entity('tool:nats', [])).toBeNull();
    expect(await store.entity('tool:nats', ["x' OR '1'='1"])).toBeNull();
    const path = await store.findPath('step:n0', 'step:n1', { maxHops: 3, scope: [B] });
    expect(path.path_found).toBe(false);
  });

  it('finds a 3-hop path within max_hops 3 in either direction, not a 4-hop one', async () => {
    const opts = { maxHops: 3, scope: ALL };
    const chain = ['step:n0', 'step:n1', 'step:n2', 'step:n3'];
    expect(await store.findPath('step:n0', 'step:n3', opts)).toEqual({
      source_id: 'step:n0',
      target_id: 'step:n3',
      path_found: true,
      path: chain,
      hops: 3,
    });
    expect((await store.findPath('step:n3', 'step:n0', opts)).path).toEqual([...chain].reverse());
    expect(await store.findPath('step:n0', 'step:n4', opts)).toEqual({
      source_id: 'step:n0',
      target_id: 'step:n4',
      path_found: false,
    });
    const four = await store.findPath('step:n0', 'step:n4', { maxHops: 4, scope: ALL });
    expect([four.path_found, four.hops]).toEqual([true, 4]);
  });

  it('a path to itself has 0 hops when the entity is visible', async () => {
    expect(await store.findPath('tool:nats', 'tool:nats', { maxHops: 3, scope: ALL })).toEqual({
      source_id: 'tool:nats',
      target_id: 'tool:nats',
      path_found: true,
      path: ['tool:nats'],
      hops: 0,
    });
    const hidden = await store.findPath('tool:nats', 'tool:nats', { maxHops: 3, scope: [B] });
    expect(hidden.path_found).toBe(false);
  });

  it('statistics: per-type counts add up, and the per-system sums cover the overall counts', async () => {
    const stats = await store.statistics(ALL);
    const sum = (counts: Record<string, number>) =>
      Object.values(counts).reduce((a, b) => a + b, 0);
    expect(stats.entity_types).toEqual({ project: 1, tool: 2 });
    expect(stats.edge_types).toEqual({ uses: 1, feeds: 1, next: 4 });
    expect([stats.total_entities, stats.total_edges]).toEqual([3, 6]);
    expect(stats.systems[A]).toEqual({
      total_entities: 3,
      total_edges: 6,
      entity_types: { project: 1, tool: 2 },
      edge_types: { uses: 1, feeds: 1, next: 4 },
    });
    expect(stats.systems[B]).toEqual({
      total_entities: 1,
      total_edges: 1,
      entity_types: { project: 1 },
      edge_types: { uses: 1 },
    });
    for (const counts of Object.values(stats.systems)) {
      expect(sum(counts.entity_types)).toBe(counts.total_entities);
      expect(sum(counts.edge_types)).toBe(counts.total_edges);
    }
    // the one entity and the one edge both systems state are counted once overall
    const perSystem = Object.values(stats.systems);
    expect(perSystem.reduce((n, c) => n + c.total_entities, 0) - 1).toBe(stats.total_entities);
    expect(perSystem.reduce((n, c) => n + c.total_edges, 0) - 1).toBe(stats.total_edges);
    expect((await store.statistics([B])).total_entities).toBe(1);
  });

  it('entitiesOfRecords: the entities each record mentions, keyed by record', async () => {
    const linked = await store.entitiesOfRecords([
      { system_id: A, id: 'rec-1' },
      { system_id: B, id: 'rec-2' },
      { system_id: B, id: 'rec-1' },
    ]);
    expect(Object.fromEntries(linked)).toEqual({
      [recordKey(A, 'rec-1')]: [
        { entity_id: 'project:akosha', entity_type: 'project', name: 'Akosha' },
        { entity_id: 'tool:nats', entity_type: 'tool', name: 'NATS' },
      ],
      [recordKey(B, 'rec-2')]: [{ entity_id: 'tool:duckdb', entity_type: 'tool', name: 'DuckDB' }],
    });
    expect((await store.entitiesOfRecords([])).size).toBe(0);
  });
});
