import type { Pipeline } from '../../app/pipeline';
import type { DeadLetter } from '../../schemas/dead-letter';
import { entityId, type GraphMessageInput } from '../../schemas/graph';
import { shardOf } from '../../schemas/ids';
import type { GraphStore } from '../../storage/graph/types';
import { STREAM } from '../../streams/definitions';
import { subjects } from '../../streams/subjects';
import { startTestNats, type TestNats } from '../helpers/nats';
import { startTestPipeline, testConfig } from '../helpers/pipeline';
import { readStream } from '../helpers/streams';
import { waitFor } from '../helpers/wait-for';

const SB = 'sb-graph-laptop';

const toolsCall = (id: string, name: string, args: unknown) => ({
  jsonrpc: '2.0',
  id,
  method: 'tools/call',
  params: { name, arguments: args },
});

/** A graph message as a system publishes it directly. */
const direct = (systemId: string, batchId: string, name: string): GraphMessageInput => ({
  schema_version: 1,
  system_id: systemId,
  batch_id: batchId,
  created_at: '2026-11-28T12:00:00Z',
  entities: [
    { source_id: `src-${name}`, name, entity_type: 'tool', updated_at: '2026-11-28T12:00:00Z' },
  ],
});

describe('the knowledge graph through the pipeline', () => {
  let nats: TestNats;
  let pipeline: Pipeline;
  let graph: GraphStore;

  beforeAll(async () => {
    nats = await startTestNats();
    pipeline = await startTestPipeline(testConfig(nats.url));
    graph = pipeline.graph!;
  });
  afterAll(async () => {
    await pipeline.close();
    await nats.stop();
  });

  const push = async (body: unknown) => {
    const res = await fetch(`${pipeline.httpAddress}/mcp/mcp/v1`, {
      method: 'POST',
      headers: { 'content-type': 'application/json' },
      body: JSON.stringify(body),
    });
    expect(res.status).toBe(200);
    return ((await res.json()) as { result: Record<string, unknown> }).result;
  };

  it('runs the graph writer in the process that owns shard group 0', () => {
    expect(graph).toBeDefined();
  });

  it("stores Session-Buddy's create_entity / create_relation; the same call twice is one entity", async () => {
    const entity = {
      name: 'NATS',
      entity_type: 'technology',
      observations: ['message broker'],
      properties: { license: 'Apache-2.0' },
      metadata: { source: SB },
    };
    const a = await push(toolsCall('g1', 'create_entity', entity));
    await push(toolsCall('g2', 'create_entity', entity));
    await push(
      toolsCall('g3', 'create_entity', {
        name: 'Akosha',
        entity_type: 'project',
        metadata: { source: SB },
      }),
    );
    const rel = await push(
      toolsCall('g4', 'create_relation', {
        from_entity: 'project:Akosha',
        to_entity: 'NATS',
        relation_type: 'uses',
        metadata: { source: SB },
      }),
    );
    expect(a).toMatchObject({ status: 'created', id: 'technology:nats', stored: true });
    expect(rel).toMatchObject({ status: 'created', stored: true });
    await waitFor(() => graph.counts(), {
      until: (c) => c.relationStatements === 1,
      what: 'the relation applied',
    });
    expect(await graph.counts()).toEqual({
      entityStatements: 2,
      relationStatements: 1,
      mentions: 0,
    });
    const detail = await graph.entity('technology:nats', '*');
    expect(detail).toMatchObject({ name: 'NATS', systems: [SB], observations: ['message broker'] });
    const neighbors = await graph.neighbors(entityId('project', 'Akosha'), {
      limit: 10,
      scope: '*',
    });
    expect(neighbors.neighbors).toEqual([
      expect.objectContaining({ entity_id: 'technology:nats', edge_type: 'uses' }),
    ]);
  });

  it('dead-letters bad graph messages (stage graph) and applies a good one after them', async () => {
    const subject = subjects.graph(shardOf('sys-direct'), 'sys-direct');
    const before = (await graph.counts()).entityStatements;
    await nats.js.publish(subject, '{ not json');
    await nats.js.publish(
      subject,
      JSON.stringify({ ...direct('sys-direct', 'b0', 'x'), entities: 'no' }),
    );
    // a message claiming another system than its subject's
    await nats.js.publish(subject, JSON.stringify(direct('sys-other', 'b1', 'Forged')));
    await nats.js.publish(subject, JSON.stringify(direct('sys-direct', 'b2', 'Jest')));
    await waitFor(() => graph.counts(), {
      until: (c) => c.entityStatements === before + 1,
      what: 'the good message applied',
    });
    const letters = await waitFor(
      () => readStream<DeadLetter>(nats.nc, nats.js, STREAM.deadLetters, 'akosha.dlq.graph'),
      { until: (l) => l.length === 3, what: 'three graph dead letters' },
    );
    expect(letters.map((l) => [l.data.stage, l.data.code, l.data.subject])).toEqual([
      ['graph', 'MALFORMED_JSON', subject],
      ['graph', 'SCHEMA_INVALID', subject],
      ['graph', 'SUBJECT_MISMATCH', subject],
    ]);
    expect(await graph.entity('tool:jest', '*')).toMatchObject({ systems: ['sys-direct'] });
    expect(await graph.entity('tool:forged', '*')).toBeNull();
  });
});
