import type { Pipeline } from '../../../app/pipeline';
import { STREAM } from '../../../streams/definitions';
import { post } from '../../helpers/http';
import { startTestNats, type TestNats } from '../../helpers/nats';
import { startTestPipeline, testConfig } from '../../helpers/pipeline';
import { streamMessageCount } from '../../helpers/streams';
import { waitFor } from '../../helpers/wait-for';

describe('MCP through the running pipeline', () => {
  let nats: TestNats;
  let pipeline: Pipeline;
  let base: string;
  beforeAll(async () => {
    nats = await startTestNats();
    pipeline = await startTestPipeline(testConfig(nats.url));
    base = pipeline.httpAddress!;
  });
  afterAll(async () => {
    await pipeline.close();
    await nats.stop();
  });

  it("stores Session-Buddy's push and finds it with Mahavishnu's search call", async () => {
    const push = await post(base, '/mcp/mcp/v1', {
      jsonrpc: '2.0',
      id: 'sb-1',
      method: 'tools/call',
      params: {
        name: 'batch_store_memories',
        arguments: {
          memories: [
            {
              memory_id: 'conv-42',
              text: 'the circuit breaker half-open probe restores normal mode',
              embedding: null,
              metadata: {
                source: 'laptop.local',
                original_id: 'conv-42',
                type: 'conversation',
                project: 'akosha',
                created_at: '2026-11-27T10:00:00',
              },
            },
          ],
        },
      },
    });
    expect(((await push.json()) as { result: unknown }).result).toMatchObject({
      status: 'completed',
      stored: 1,
    });
    await waitFor(() => streamMessageCount(nats.nc, STREAM.ingested), {
      until: (n) => n === 1,
      what: 'ingest',
    });

    const res = await post(base, '/mcp/tools/call', {
      name: 'search_all_systems',
      arguments: { query: 'circuit breaker half-open probe', limit: 5 },
    });
    const body = (await res.json()) as { results: { id: string; system_id: string }[] };
    expect(body.results[0]).toMatchObject({ id: 'conv-42', system_id: 'laptop-local' });
  });
});
