import { loadConfig } from '../../infra/config';
import { publishGraph } from '../../producers/publish-graph';
import { GraphMessage, type GraphMessageInput } from '../../schemas/graph';
import { shardOf } from '../../schemas/ids';
import { openGraphStore } from '../../storage/graph/duckdb-graph-store';
import type { GraphCounts } from '../../storage/graph/types';
import { subjects } from '../../streams/subjects';
import { startTestNatsWithStreams, type TestNats } from '../helpers/nats';
import { testEnv } from '../helpers/pipeline';
import { runAkosha } from '../helpers/processes';

const at = (minute: number) => `2026-11-28T12:${String(minute).padStart(2, '0')}:00Z`;

function statements(systemId: string, batchId: string, minute: number): GraphMessageInput {
  const entity = (id: string, name: string) => ({
    source_id: id,
    name,
    entity_type: 'tool',
    observations: [`seen at minute ${minute}`],
    updated_at: at(minute),
  });
  return {
    schema_version: 1,
    system_id: systemId,
    batch_id: batchId,
    created_at: at(minute),
    entities: [entity('e1', 'DuckDB'), entity('e2', 'NATS')],
    relations: [
      {
        source_id: 'r1',
        from: { name: 'DuckDB', entity_type: 'tool' },
        to: { name: 'NATS' },
        relation_type: 'sits_beside',
        updated_at: at(minute),
      },
    ],
    mentions: [{ record_id: `rec-${minute}`, entity: { name: 'nats' } }],
  };
}

describe('akosha replay --graph and akosha verify on the graph', () => {
  let nats: TestNats;
  let env: Record<string, string>;
  let graphFile: string;
  /** what the graph writer's rule gives for the messages below */
  const expected: GraphCounts = { entityStatements: 4, relationStatements: 2, mentions: 3 };

  beforeAll(async () => {
    nats = await startTestNatsWithStreams();
    env = testEnv(nats.url);
    graphFile = loadConfig(env).graph.file;
    const publish = (m: GraphMessageInput) =>
      publishGraph(nats.js, m, { maxPayloadBytes: 1 << 20 });
    await publish(statements('sys-a', 'a1', 1));
    await publish(statements('sys-a', 'a2', 2)); // newer statements of the same source ids
    await publish(statements('sys-b', 'b1', 3));
    // invalid: dead-lettered by the writer, skipped by replay and verify
    await nats.js.publish(subjects.graph(shardOf('sys-b'), 'sys-b'), '{"schema_version":1}');
  });
  afterAll(() => nats.stop());

  const counts = async () => {
    const store = await openGraphStore(graphFile);
    try {
      return await store.counts();
    } finally {
      await store.close();
    }
  };

  const verify = async () => {
    const result = await runAkosha(['verify'], env);
    return {
      code: result.code,
      report: JSON.parse(result.stdout) as { ok: boolean; graph?: unknown },
    };
  };

  it('rebuilds an emptied graph from the stream', async () => {
    const result = await runAkosha(['replay', '--graph'], env);
    expect(result.code).toBe(0);
    expect(JSON.parse(result.stdout)).toMatchObject({
      messages: 4,
      applied: 3,
      skipped: 1,
      counts: expected,
    });
    expect(await counts()).toEqual(expected);
    // the newer statement won
    const store = await openGraphStore(graphFile);
    try {
      const nats = await store.entity('tool:nats', ['sys-a']);
      expect(nats?.observations).toEqual(['seen at minute 2']);
    } finally {
      await store.close();
    }
  });

  it('reports a clean graph, then one with a statement the stream does not hold', async () => {
    const clean = await verify();
    expect(clean.code).toBe(0);
    expect(clean.report.graph).toEqual({
      stream: expected,
      store: expected,
      messages: 4,
      skipped: 1,
      ok: true,
    });

    const store = await openGraphStore(graphFile);
    await store.apply(GraphMessage.parse(statements('sys-planted', 'p1', 9)));
    await store.close();
    const tampered = await verify();
    expect(tampered.code).toBe(1);
    expect(tampered.report).toMatchObject({
      ok: false,
      graph: {
        ok: false,
        stream: expected,
        store: { entityStatements: 6, relationStatements: 3, mentions: 4 },
      },
    });

    // a replay clears what no message states
    expect((await runAkosha(['replay', '--graph'], env)).code).toBe(0);
    expect(await counts()).toEqual(expected);
    expect((await verify()).code).toBe(0);
  });

  it('refuses --graph with another selection', async () => {
    const result = await runAkosha(['replay', '--graph', '--shard', '3'], env);
    expect(result.code).toBe(1);
    expect(result.stderr).toContain('--graph rebuilds the whole graph');
  });
});
