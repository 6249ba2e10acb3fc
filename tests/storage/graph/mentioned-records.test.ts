import { openGraphStore } from '../../../storage/graph/duckdb-graph-store';
import type { GraphStore } from '../../../storage/graph/types';
import { recordKey } from '../../../storage/write-plan';
import { graphMessage, tempGraphStore } from './graph-messages';

const SYSTEM = 'mention-host';
const tool = (name: string) => ({ name, entity_type: 'tool' });
const mentioning = (recordId: string, name: string) =>
  graphMessage(SYSTEM, { mentions: [{ record_id: recordId, entity: tool(name) }] });

async function linkedNames(store: GraphStore, recordId: string): Promise<string[] | undefined> {
  const linked = await store.entitiesOfRecords([
    { system_id: SYSTEM, id: recordId },
    { system_id: SYSTEM, id: 'never-mentioned' },
  ]);
  expect(linked.has(recordKey(SYSTEM, 'never-mentioned'))).toBe(false);
  return linked.get(recordKey(SYSTEM, recordId))?.map((e) => e.name);
}

describe('graph store: the records it may hold mentions of', () => {
  let store: GraphStore;
  let file: string;
  let done: () => Promise<void>;
  beforeEach(async () => ({ store, file, done } = await tempGraphStore()));
  afterEach(() => done());

  it('links a mention applied after a search found the graph empty', async () => {
    expect(await linkedNames(store, 'rec-1')).toBeUndefined();
    await store.apply(mentioning('rec-1', 'duckdb'));
    expect(await linkedNames(store, 'rec-1')).toEqual(['duckdb']);
  });

  it('links a mention applied while the first search loads what is mentioned', async () => {
    const [during] = await Promise.all([
      linkedNames(store, 'rec-2'),
      store.apply(mentioning('rec-2', 'nats')),
    ]);
    expect([undefined, ['nats']]).toContainEqual(during);
    expect(await linkedNames(store, 'rec-2')).toEqual(['nats']);
  });

  it('finds the mentions a reopened file holds, and none after the graph is cleared', async () => {
    await store.apply(mentioning('rec-3', 'redis'));
    await store.close();
    store = await openGraphStore(file);
    expect(await linkedNames(store, 'rec-3')).toEqual(['redis']);
    await store.clear();
    expect(await linkedNames(store, 'rec-3')).toBeUndefined();
    await store.apply(mentioning('rec-3', 'redis'));
    expect(await linkedNames(store, 'rec-3')).toEqual(['redis']);
  });
});
