import { openGraphStore } from '../../../storage/graph/duckdb-graph-store';
import { recordKey } from '../../../storage/write-plan';
import { entity, graphMessage, relation, tempGraphStore, T1, T2 } from './graph-messages';

const ALL = '*' as const;

describe('graph store: applying messages', () => {
  const opened: { done: () => Promise<void> }[] = [];
  const fresh = async () => {
    const s = await tempGraphStore();
    opened.push(s);
    return s;
  };
  afterAll(async () => {
    for (const s of opened.reverse()) await s.done(); // a reopened store before its dir
  });

  const message = graphMessage('apply-host', {
    entities: [entity('e1', 'Akosha', 'project'), entity('e2', 'DuckDB', 'tool')],
    relations: [relation('r1', { name: 'Akosha', entity_type: 'project' }, { name: 'duckdb' })],
    mentions: [{ record_id: 'rec-1', entity: { name: 'akosha' } }],
  });

  it('applies a message once: the second time changes nothing', async () => {
    const { store } = await fresh();
    expect(await store.apply(message)).toEqual({
      entitiesWritten: 2,
      relationsWritten: 1,
      mentionsWritten: 1,
      unchanged: 0,
    });
    const counts = await store.counts();
    expect(await store.apply(message)).toEqual({
      entitiesWritten: 0,
      relationsWritten: 0,
      mentionsWritten: 0,
      unchanged: 4,
    });
    expect(await store.counts()).toEqual(counts);
    expect(counts).toEqual({ entityStatements: 2, relationStatements: 1, mentions: 1 });
  });

  const older = graphMessage('order-host', {
    entities: [entity('e1', 'Akosha', 'project', { properties: { v: 1 }, updated_at: T1 })],
  });
  const newer = graphMessage('order-host', {
    entities: [entity('e1', 'Akosha', 'project', { properties: { v: 2 }, updated_at: T2 })],
  });
  const tieA = graphMessage('order-host', {
    entities: [entity('e2', 'Tie', 'topic', { observations: ['a'] })],
  });
  const tieB = graphMessage('order-host', {
    entities: [entity('e2', 'Tie', 'topic', { observations: ['b'] })],
  });

  it('keeps the newer statement of a source id whatever the order, and one of two equally new', async () => {
    const forward = (await fresh()).store;
    const backward = (await fresh()).store;
    for (const m of [older, newer, tieA, tieB]) await forward.apply(m);
    expect((await backward.apply(newer)).entitiesWritten).toBe(1);
    expect(await backward.apply(older)).toMatchObject({ entitiesWritten: 0, unchanged: 1 });
    for (const m of [tieB, tieA]) await backward.apply(m);

    expect((await forward.entity('project:akosha', ALL))?.properties).toEqual({ v: 2 });
    expect(await backward.entity('project:akosha', ALL)).toEqual(
      await forward.entity('project:akosha', ALL),
    );
    expect(await backward.entity('topic:tie', ALL)).toEqual(await forward.entity('topic:tie', ALL));
    expect(await forward.counts()).toEqual({
      entityStatements: 2,
      relationStatements: 0,
      mentions: 0,
    });
  });

  it('resolves an untyped end to an entity of the same message', async () => {
    const { store } = await fresh();
    await store.apply(message);
    const reply = await store.neighbors('project:akosha', { limit: 10, scope: ALL });
    expect(reply.neighbors.map((n) => [n.entity_id, n.entity_type])).toEqual([
      ['tool:duckdb', 'tool'],
    ]);
    const linked = await store.entitiesOfRecords([{ system_id: 'apply-host', id: 'rec-1' }]);
    expect(linked.get(recordKey('apply-host', 'rec-1'))).toEqual([
      { entity_id: 'project:akosha', entity_type: 'project', name: 'Akosha' },
    ]);
  });

  it("prefers the system's own entity, then the most recently updated, then entity:<name>", async () => {
    const { store } = await fresh();
    await store.apply(graphMessage('own-host', { entities: [entity('p', 'Python', 'language')] }));
    await store.apply(
      graphMessage('other-host', {
        entities: [entity('p', 'python', 'snake', { updated_at: T2 })],
      }),
    );
    const from = { name: 'Seed', entity_type: 'project' };
    for (const system of ['own-host', 'third-host'])
      await store.apply(
        graphMessage(system, {
          relations: [
            relation('r', from, { name: ' PYTHON ' }),
            relation('u', from, { name: 'Nobody Knows' }),
          ],
        }),
      );
    const ends = (await store.neighbors('project:seed', { limit: 10, scope: ALL })).neighbors;
    expect(ends.map((n) => [n.entity_id, n.weight])).toEqual([
      ['entity:nobody knows', 2],
      ['language:python', 1],
      ['snake:python', 1],
    ]);
  });

  it('resolves an end again when an entity of its name arrives later (order does not matter)', async () => {
    const early = (await fresh()).store;
    const late = (await fresh()).store;
    const rel = graphMessage('late-host', {
      relations: [relation('r', { name: 'a', entity_type: 't' }, { name: 'Jest' })],
      mentions: [{ record_id: 'rec-9', entity: { name: 'jest' } }],
    });
    const ent = graphMessage('late-host', { entities: [entity('j', 'Jest', 'tool')] });
    await early.apply(rel);
    expect((await early.neighbors('t:a', { limit: 5, scope: ALL })).neighbors[0]?.entity_id).toBe(
      'entity:jest',
    );
    await early.apply(ent);
    await late.apply(ent);
    await late.apply(rel);
    for (const store of [early, late]) {
      const reply = await store.neighbors('t:a', { limit: 5, scope: ALL });
      expect(reply.neighbors.map((n) => n.entity_id)).toEqual(['tool:jest']);
      const linked = await store.entitiesOfRecords([{ system_id: 'late-host', id: 'rec-9' }]);
      expect(linked.get(recordKey('late-host', 'rec-9'))?.map((e) => e.entity_id)).toEqual([
        'tool:jest',
      ]);
    }
    expect(await early.statistics(ALL)).toEqual(await late.statistics(ALL));
  });

  it('keeps everything when the file is opened again', async () => {
    const { store, file } = await fresh();
    await store.apply(message);
    const before = {
      counts: await store.counts(),
      neighbors: await store.neighbors('tool:duckdb', { limit: 5, scope: ALL }),
      stats: await store.statistics(ALL),
    };
    await store.close();
    await store.close(); // idempotent
    const reopened = await openGraphStore(file);
    opened.push({ done: () => reopened.close() });
    expect(await reopened.counts()).toEqual(before.counts);
    expect(await reopened.neighbors('tool:duckdb', { limit: 5, scope: ALL })).toEqual(
      before.neighbors,
    );
    expect(await reopened.statistics(ALL)).toEqual(before.stats);
    expect((await reopened.apply(message)).unchanged).toBe(4);
  });

  it('clear removes every statement', async () => {
    const { store } = await fresh();
    await store.apply(message);
    await store.clear();
    expect(await store.counts()).toEqual({
      entityStatements: 0,
      relationStatements: 0,
      mentions: 0,
    });
    expect(await store.entity('project:akosha', ALL)).toBeNull();
  });
});
