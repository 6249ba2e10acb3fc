import { mkdtempSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { DuckDBInstance } from '@duckdb/node-api';
import type { DigestSet } from '../../producers/digest-set';
import {
  importSessionBuddyGraph,
  type GraphImportOptions,
} from '../../producers/import-session-buddy-graph';
import { readSessionBuddyGraph, type SkippedRow } from '../../producers/session-buddy';
import type { GraphMessage } from '../../schemas/graph';
import { shardOf } from '../../schemas/ids';
import { STREAM } from '../../streams/definitions';
import { subjects } from '../../streams/subjects';
import {
  createKnowledgeGraphFile,
  createMemoryGraphFile,
  type GraphFixture,
} from '../fixtures/session-buddy-graph';
import { startTestNatsWithStreams, type TestNats } from '../helpers/nats';
import { readStream, streamMessageCount } from '../helpers/streams';

let nats: TestNats;
let dir: string;

beforeAll(async () => {
  nats = await startTestNatsWithStreams();
  dir = mkdtempSync(join(tmpdir(), 'akosha-sb-graph-'));
});

afterAll(async () => {
  await nats?.stop();
  rmSync(dir, { recursive: true, force: true });
});

const MAX_PAYLOAD = 1024 * 1024;

function digestSet(): DigestSet & { keys: Set<string> } {
  const keys = new Set<string>();
  return {
    keys,
    has: (k) => keys.has(k),
    add: (k) => void keys.add(k),
    get size() {
      return keys.size;
    },
  };
}

function options(systemId: string, extra: Partial<GraphImportOptions> = {}): GraphImportOptions {
  return { systemId, batchIdPrefix: `imp-${systemId}`, maxPayloadBytes: MAX_PAYLOAD, ...extra };
}

async function storedGraph(systemId: string): Promise<GraphMessage[]> {
  const subject = subjects.graph(shardOf(systemId), systemId);
  const stored = await readStream<GraphMessage>(nats.nc, nats.js, STREAM.graph, subject);
  return stored.map((m) => m.data);
}

/** The stream holds exactly the fixture's statements for the system, each once. */
async function expectStreamHolds(systemId: string, fixture: GraphFixture): Promise<GraphMessage[]> {
  const messages = await storedGraph(systemId);
  const entities = messages.flatMap((m) => m.entities);
  const relations = messages.flatMap((m) => m.relations);
  const mentions = messages.flatMap((m) => m.mentions);
  const bySource = <T extends { source_id: string }>(list: T[]) =>
    [...list].sort((a, b) => a.source_id.localeCompare(b.source_id));
  expect(bySource(entities)).toEqual(bySource(fixture.entities));
  expect(bySource(relations)).toEqual(bySource(fixture.relations));
  const mentionKey = (m: { record_id: string; entity: object }) => JSON.stringify(m);
  expect(mentions.map(mentionKey).sort()).toEqual(fixture.mentions.map(mentionKey).sort());
  return messages;
}

test('a knowledge graph file publishes its entities and relations, ends resolved to names', async () => {
  const fixture = await createKnowledgeGraphFile(join(dir, 'kg.duckdb'), {
    entities: 300,
    relations: 900,
  });
  const skipped: SkippedRow[] = [];
  const seen = digestSet();
  const totals = await importSessionBuddyGraph(
    nats.js,
    { knowledgeGraph: fixture.path },
    options('kg-plain', { seen, onSkip: (r) => skipped.push(r) }),
  );
  expect(totals).toEqual({
    entities: fixture.entities.length,
    relations: fixture.relations.length,
    mentions: 0,
    unchanged: 0,
    skipped: fixture.skipped,
    messages: 1,
  });
  expect(seen.size).toBe(fixture.entities.length + fixture.relations.length);
  const reasons = new Set(skipped.map((s) => s.reason.split(':')[0]));
  expect(reasons).toEqual(new Set(['INVALID', 'NO_TIMESTAMP', 'UNRESOLVED_ENTITY']));
  const messages = await expectStreamHolds('kg-plain', fixture);
  expect(messages.map((m) => m.batch_id)).toEqual(['imp-kg-plain_g1']);
  // rows without updated_at fall back to their (naive, UTC) created_at
  expect(fixture.entities.some((e) => e.updated_at === e.created_at)).toBe(true);
  expect(messages[0]!.relations.some((r) => r.to.entity_type === undefined)).toBe(true);
});

test('a gzip file reads the same statements, in batches of at most 2000 statements', async () => {
  const fixture = await createKnowledgeGraphFile(join(dir, 'knowledge_graph.duckdb'), {
    entities: 2500,
    relations: 3000,
    gzip: true,
  });
  const batches = [];
  for await (const b of readSessionBuddyGraph(fixture.path, 'knowledgeGraph', {
    systemId: 'kg-gzip',
    batchIdPrefix: 'p',
  }))
    batches.push(b);
  const sizes = batches.map((b) => b.entities!.length + b.relations!.length + b.mentions!.length);
  expect(sizes.every((n) => n <= 2000)).toBe(true);
  expect(sizes.reduce((a, b) => a + b, 0)).toBe(fixture.entities.length + fixture.relations.length);
  expect(batches.map((b) => b.batch_id)).toEqual(sizes.map((_, i) => `p_g${i + 1}`));
  const totals = await importSessionBuddyGraph(
    nats.js,
    { knowledgeGraph: fixture.path },
    options('kg-gzip'),
  );
  expect(totals).toMatchObject({ entities: fixture.entities.length, skipped: fixture.skipped });
  expect(totals.messages).toBe(batches.length);
  await expectStreamHolds('kg-gzip', fixture);
});

test('a re-read yields the same batches', async () => {
  const fixture = await createKnowledgeGraphFile(join(dir, 'kg-again.duckdb'), {
    entities: 120,
    relations: 200,
  });
  const read = async () => {
    const out = [];
    for await (const b of readSessionBuddyGraph(fixture.path, 'knowledgeGraph', {
      systemId: 'kg-again',
      batchIdPrefix: 'p',
      statementsPerBatch: 50,
    }))
      out.push({ ...b, created_at: '' });
    return out;
  };
  const first = await read();
  expect(first.length).toBeGreaterThan(3);
  expect(await read()).toEqual(first);
});

test('a v2 reflection file publishes its memory entities, their mentions and relationships', async () => {
  const fixture = await createMemoryGraphFile(join(dir, 'reflection.duckdb'), {
    memories: 60,
    gzip: true,
  });
  expect(fixture.entities.length).toBeLessThan(7);
  expect(fixture.mentions.some((m) => m.record_id.startsWith('sb-'))).toBe(true);
  const totals = await importSessionBuddyGraph(
    nats.js,
    { reflection: fixture.path },
    options('memory-graph'),
  );
  expect(totals).toEqual({
    entities: fixture.entities.length,
    relations: fixture.relations.length,
    mentions: fixture.mentions.length,
    unchanged: 0,
    skipped: fixture.skipped,
    messages: 1,
  });
  await expectStreamHolds('memory-graph', fixture);
});

test('a re-import with the digests of the first publishes nothing; a grown file only what is new', async () => {
  const small = await createKnowledgeGraphFile(join(dir, 'grow.duckdb'), {
    entities: 100,
    relations: 150,
  });
  const seen = digestSet();
  await importSessionBuddyGraph(nats.js, { knowledgeGraph: small.path }, options('grow', { seen }));
  const before = await streamMessageCount(nats.nc, STREAM.graph);

  const again = digestSet();
  const repeat = await importSessionBuddyGraph(
    nats.js,
    { knowledgeGraph: small.path },
    options('grow', { batchIdPrefix: 'second', known: seen, seen: again }),
  );
  expect(repeat).toMatchObject({ entities: 0, relations: 0, messages: 0 });
  expect(repeat.unchanged).toBe(small.entities.length + small.relations.length);
  expect(again.keys).toEqual(seen.keys);
  expect(await streamMessageCount(nats.nc, STREAM.graph)).toBe(before);

  const grown = await createKnowledgeGraphFile(join(dir, 'grow.duckdb'), {
    entities: 130,
    relations: 260,
  });
  const third = await importSessionBuddyGraph(
    nats.js,
    { knowledgeGraph: grown.path },
    options('grow', { batchIdPrefix: 'third', known: seen }),
  );
  expect(third).toMatchObject({
    entities: grown.entities.length - small.entities.length,
    relations: grown.relations.length - small.relations.length,
    unchanged: small.entities.length + small.relations.length,
  });
  const published = (await storedGraph('grow')).filter((m) => m.batch_id.startsWith('third'));
  const known = new Set([...small.entities, ...small.relations].map((s) => s.source_id));
  const sources = published.flatMap((m) => [...m.entities, ...m.relations]).map((s) => s.source_id);
  expect(sources.length).toBe(third.entities + third.relations);
  expect(sources.filter((s) => known.has(s))).toEqual([]);
});

test('both files in one import number their batches on from one another', async () => {
  const kg = await createKnowledgeGraphFile(join(dir, 'both-kg.duckdb'), {
    entities: 30,
    relations: 40,
  });
  const memory = await createMemoryGraphFile(join(dir, 'both-reflection.duckdb'), {
    memories: 20,
  });
  await importSessionBuddyGraph(
    nats.js,
    { knowledgeGraph: kg.path, reflection: memory.path },
    options('both'),
  );
  const messages = await storedGraph('both');
  expect(messages.map((m) => m.batch_id)).toEqual(['imp-both_g1', 'imp-both_g2']);
  expect(messages[1]!.mentions.length).toBe(memory.mentions.length);
});

test('a file without graph tables yields nothing; a file that is not DuckDB throws', async () => {
  const records = await createMemoryGraphFile(join(dir, 'no-graph.duckdb'), { memories: 5 });
  const totals = await importSessionBuddyGraph(
    nats.js,
    { knowledgeGraph: records.path },
    options('nothing'),
  );
  expect(totals).toEqual({
    entities: 0,
    relations: 0,
    mentions: 0,
    unchanged: 0,
    skipped: 0,
    messages: 0,
  });
  const junk = join(dir, 'junk.duckdb');
  writeFileSync(junk, 'this is not a database\n'.repeat(100));
  await expect(
    importSessionBuddyGraph(nats.js, { knowledgeGraph: junk }, options('junk')),
  ).rejects.toThrow(/cannot open .*junk\.duckdb as a DuckDB database/);
});

test('a graph table whose columns cannot be mapped is reported and skipped', async () => {
  const path = join(dir, 'odd.duckdb');
  const instance = await DuckDBInstance.create(path);
  const conn = await instance.connect();
  await conn.run(`CREATE TABLE memory_entities (id TEXT, memory_id TEXT, label TEXT)`);
  await conn.run(`INSERT INTO memory_entities VALUES ('a', 'm1', 'x')`);
  conn.closeSync();
  instance.closeSync();
  const skipped: SkippedRow[] = [];
  const totals = await importSessionBuddyGraph(
    nats.js,
    { reflection: path },
    options('odd', { onSkip: (r) => skipped.push(r) }),
  );
  expect(totals).toMatchObject({ entities: 0, mentions: 0, skipped: 1, messages: 0 });
  expect(skipped).toEqual([
    { table: 'memory_entities', id: null, reason: 'UNMAPPED_TABLE: no entity_value column' },
  ]);
});
