import { MAX_FRONTIER } from '../../../storage/graph/path';
import type { GraphStore } from '../../../storage/graph/types';
import { graphMessage, relation, tempGraphStore } from './graph-messages';

const SPOKES = MAX_FRONTIER + 50;
const hub = { name: 'hub', entity_type: 'node' };
const spoke = (i: number) => ({ name: `spoke ${String(i).padStart(5, '0')}`, entity_type: 'node' });

describe('graph store: a hub larger than the per-hop bound', () => {
  let store: GraphStore;
  let done: () => Promise<void>;
  beforeAll(async () => {
    ({ store, done } = await tempGraphStore());
    const relations = Array.from({ length: SPOKES }, (_, i) => relation(`s${i}`, hub, spoke(i)));
    for (let start = 0; start < SPOKES; start += 5000)
      await store.apply(
        graphMessage('hub-host', { relations: relations.slice(start, start + 5000) }),
      );
    // behind the last spoke, which sorts past the bound
    await store.apply(
      graphMessage('hub-host', {
        relations: [relation('tail', spoke(SPOKES - 1), { name: 'tail', entity_type: 'node' })],
      }),
    );
  }, 60_000);
  afterAll(() => done());

  it('still reaches a target among the spokes past the bound in one hop', async () => {
    const last = `node:spoke ${SPOKES - 1}`;
    const reply = await store.findPath('node:hub', last, { maxHops: 2, scope: '*' });
    expect(reply).toMatchObject({ path_found: true, path: ['node:hub', last], hops: 1 });
  });

  it('takes at most MAX_FRONTIER new nodes per hop, so what hides behind the rest is not reached', async () => {
    const reply = await store.findPath('node:hub', 'node:tail', { maxHops: 6, scope: '*' });
    expect(reply.path_found).toBe(false);
    const fromSpoke = await store.findPath(`node:spoke ${SPOKES - 1}`, 'node:tail', {
      maxHops: 1,
      scope: '*',
    });
    expect(fromSpoke.path_found).toBe(true);
  });

  it('counts every neighbor of the hub and returns only the limit', async () => {
    const reply = await store.neighbors('node:hub', { limit: 3, scope: '*' });
    expect(reply.total_neighbors).toBe(SPOKES);
    expect(reply.neighbors.map((n) => n.entity_id)).toEqual([
      'node:spoke 00000',
      'node:spoke 00001',
      'node:spoke 00002',
    ]);
  });
});
