import type { Pipeline } from '../../../app/pipeline';
import { publishGraph } from '../../../producers/publish-graph';
import { getJson } from '../../helpers/http';
import { startTestNats, type TestNats } from '../../helpers/nats';
import { startTestPipeline, testConfig } from '../../helpers/pipeline';
import { waitFor } from '../../helpers/wait-for';
import { AKOSHA, ALICE, CPP, MESSAGES, enc } from './fixture';

describe('the graph over the API of a pipeline that writes it', () => {
  let nats: TestNats;
  let pipeline: Pipeline;
  let base: string;

  beforeAll(async () => {
    nats = await startTestNats();
    pipeline = await startTestPipeline(testConfig(nats.url, { AKOSHA_GRAPH_WRITER: 'on' }), [
      'writer',
      'api',
    ]);
    base = pipeline.httpAddress!;
    for (const message of MESSAGES)
      await publishGraph(nats.js, message, { maxPayloadBytes: 1 << 20 });
  });
  afterAll(async () => {
    await pipeline.close();
    await nats.stop();
  });

  it('serves what the graph stream brought: statistics, neighbours and the 3-hop path', async () => {
    expect(pipeline.graph).toBeDefined();
    await waitFor(() => getJson<{ total_edges: number }>(base, '/api/v1/graph/statistics'), {
      until: (r) => r.status === 200 && r.body.total_edges === 3,
      timeoutMs: 30_000,
      what: 'the graph writer to apply both messages',
    });
    const near = await getJson(base, `/api/v1/graph/entities/${enc(AKOSHA)}/neighbors`);
    expect(near.body).toMatchObject({ entity_id: AKOSHA, total_neighbors: 2 });
    const path = await getJson(
      base,
      `/api/v1/graph/path?source_id=${enc(ALICE)}&target_id=${enc(CPP)}`,
    );
    expect(path.body).toMatchObject({ path_found: true, hops: 3 });
  });
});
