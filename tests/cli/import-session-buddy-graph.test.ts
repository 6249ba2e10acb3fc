import { join } from 'node:path';
import { AuditQuery, listAuditEvents } from '../../audit/reader';
import type { GraphMessage } from '../../schemas/graph';
import { STREAM } from '../../streams/definitions';
import { createKnowledgeGraphFile, createMemoryGraphFile } from '../fixtures/session-buddy-graph';
import { startTestNatsWithStreams, type TestNats } from '../helpers/nats';
import { runAkosha } from '../helpers/processes';
import { readStream, streamMessageCount } from '../helpers/streams';

let nats: TestNats;

beforeAll(async () => {
  nats = await startTestNatsWithStreams();
});

afterAll(() => nats.stop());

test('--graph publishes the knowledge graph and the memory entities; the same files again add nothing', async () => {
  const kg = await createKnowledgeGraphFile(join(nats.dir, 'knowledge_graph.duckdb'), {
    entities: 50,
    relations: 80,
    gzip: true,
  });
  const reflection = await createMemoryGraphFile(join(nats.dir, 'reflection.duckdb'), {
    memories: 10,
  });
  const args = [
    'import-session-buddy',
    reflection.path,
    '--graph',
    kg.path,
    '--system-id',
    'cli-graph',
  ];
  const env = { AKOSHA_NATS_URL: nats.url };
  const first = await runAkosha(args, env);
  expect(first.code).toBe(0);
  const [records, graph] = first.stdout
    .trim()
    .split('\n')
    .map((l) => JSON.parse(l));
  expect(records).toMatchObject({ file: reflection.path, system_id: 'cli-graph' });
  expect(graph).toMatchObject({
    graph: kg.path,
    reflection: reflection.path,
    system_id: 'cli-graph',
    entities: kg.entities.length + reflection.entities.length,
    relations: kg.relations.length + reflection.relations.length,
    mentions: reflection.mentions.length,
    skipped: kg.skipped + reflection.skipped,
  });
  expect(first.stderr).toContain('UNRESOLVED_ENTITY');
  const stored = await readStream<GraphMessage>(nats.nc, nats.js, STREAM.graph);
  expect(stored.map((m) => m.data.batch_id)).toEqual([
    `${graph.batch_id_prefix}_g1`,
    `${graph.batch_id_prefix}_g2`,
  ]);

  const again = await runAkosha(args, env);
  expect(again.code).toBe(0);
  expect(JSON.parse(again.stdout.trim().split('\n')[1]!).batch_id_prefix).toBe(
    graph.batch_id_prefix,
  );
  expect(await streamMessageCount(nats.nc, STREAM.graph)).toBe(stored.length);

  // one audit event per run, on the system's own subject, with what it published
  const trail = await readStream(nats.nc, nats.js, STREAM.audit);
  expect(trail.map((m) => m.subject)).toEqual([
    'akosha.audit.import_session_buddy.cli-graph',
    'akosha.audit.import_session_buddy.cli-graph',
  ]);
  const query = AuditQuery.parse({ action: 'import_session_buddy' });
  const [run, rerun] = (await listAuditEvents(nats.js, query)).events;
  const [firstUpload] = await readStream(nats.nc, nats.js, STREAM.uploads);
  expect(run).toMatchObject({
    action: 'import_session_buddy',
    result: 'ok',
    target: {
      system: 'cli-graph',
      ids: [`${records.upload_id_prefix}_1`],
      sequence: [firstUpload!.seq, firstUpload!.seq],
    },
    detail: {
      uploads: records.uploads,
      records: records.records,
      duplicates: 0,
      graph: { entities: graph.entities, relations: graph.relations, messages: 2 },
    },
  });
  expect(rerun!.detail).toMatchObject({ uploads: records.uploads, duplicates: records.uploads });
});

test('--graph alone imports only the graph; no file at all is an error', async () => {
  const kg = await createKnowledgeGraphFile(join(nats.dir, 'alone.duckdb'), {
    entities: 10,
    relations: 5,
  });
  const env = { AKOSHA_NATS_URL: nats.url };
  const alone = await runAkosha(
    ['import-session-buddy', '--graph', kg.path, '--system-id', 'cli-alone'],
    env,
  );
  expect(alone.code).toBe(0);
  const lines = alone.stdout.trim().split('\n');
  expect(lines).toHaveLength(1);
  expect(JSON.parse(lines[0]!)).toMatchObject({ graph: kg.path, entities: kg.entities.length });

  const none = await runAkosha(['import-session-buddy', '--system-id', 'cli-none'], env);
  expect(none.code).not.toBe(0);
  expect(none.stderr).toContain('give a reflection.duckdb, a --graph knowledge_graph.duckdb');
});
