import type { IngestedEvent } from '../../schemas/ingested';
import { STREAM } from '../../streams/definitions';
import { ensureModel, TINY_MODEL } from '../fixtures/model/ensure-model';
import { startTestNatsWithStreams, type TestNats } from '../helpers/nats';
import { testEnv } from '../helpers/pipeline';
import { kill, spawnAkosha } from '../helpers/processes';
import { readStream, streamMessageCount } from '../helpers/streams';
import { publishMany, record, upload } from '../helpers/uploads';
import { waitFor } from '../helpers/wait-for';

describe('pipeline with the model embedder (generated ONNX model, offline)', () => {
  let nats: TestNats;
  beforeAll(async () => {
    nats = await startTestNatsWithStreams();
  });
  afterAll(() => nats.stop());

  const port = 20_000 + Math.floor(Math.random() * 20_000);
  const api = `http://127.0.0.1:${port}`;

  it('embeds through transformers.js in worker threads and says so in /ready, events and results', async () => {
    const env = testEnv(nats.url, {
      AKOSHA_EMBEDDER: 'model',
      AKOSHA_EMBEDDING_MODEL: ensureModel(TINY_MODEL),
      AKOSHA_EMBEDDING_DTYPE: 'fp32',
      AKOSHA_EMBEDDING_WORKERS: '2',
      AKOSHA_HTTP_PORT: String(port),
    });
    const akosha = spawnAkosha(['start', '--roles', 'ingest,writer,api'], env);
    try {
      const texts = [
        'the shard writer owns its files',
        'dead letters carry a reason code',
        'pasta with tomatoes',
      ];
      await publishMany(nats.js, 3, (i) =>
        upload('model-host', `m-${i}`, [record(`r${i}`, texts[i]!)]),
      );
      await waitFor(() => streamMessageCount(nats.nc, STREAM.ingested), {
        until: (n) => n === 3,
        what: 'events',
      });

      const [event] = await readStream<IngestedEvent>(nats.nc, nats.js, STREAM.ingested);
      expect(event!.data.embedder).toMatchObject({ name: 'model', dim: 384 });
      const ready = (await (await fetch(`${api}/ready`)).json()) as {
        embedder: string;
      };
      expect(ready.embedder).toMatch(/^model\//);

      const res = await fetch(`${api}/api/v1/search`, {
        method: 'POST',
        headers: { 'content-type': 'application/json' },
        body: JSON.stringify({ query: texts[1], limit: 3 }),
      });
      const body = (await res.json()) as { results: { id: string; similarity: number }[] };
      expect(body.results[0]).toMatchObject({ id: 'r1', similarity: expect.closeTo(1, 4) });
    } finally {
      await kill(akosha, 'SIGTERM');
    }
  });
});
