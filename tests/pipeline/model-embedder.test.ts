/** @jest-environment ./tests/embedding/onnx-environment.ts */
import { chunkSpans } from '../../embedding/chunking';
import { ModelEmbedder } from '../../embedding/model-embedder';
import type { IngestedEvent } from '../../schemas/ingested';
import { STREAM } from '../../streams/definitions';
import { ensureModel, TINY_MODEL } from '../fixtures/model/ensure-model';
import { startTestNatsWithStreams, type TestNats } from '../helpers/nats';
import { testEnv } from '../helpers/pipeline';
import { kill, spawnAkosha } from '../helpers/processes';
import { readStream, streamMessageCount } from '../helpers/streams';
import { publishMany, record, upload } from '../helpers/uploads';
import { waitFor } from '../helpers/wait-for';

interface PassageHit {
  id: string;
  similarity: number;
  passage?: { index: number; start: number; end: number };
}

const WORDS = 'stream consumer shard writer duckdb vector index embed upload replay memory'.split(
  ' ',
);
/** ~700 one-token words: longer than the 256-token passages, so several of them. */
const LONG_TEXT = Array.from({ length: 700 }, (_, i) => WORDS[(i * 7 + (i >> 4)) % 11]).join(' ');

/** The passages the pipeline cuts (default window and overlap), from the same model. */
async function passageSpans(text: string) {
  const embedder = await ModelEmbedder.load({ model: ensureModel(TINY_MODEL) });
  try {
    return await chunkSpans(embedder, text);
  } finally {
    await embedder.close();
  }
}

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
        LONG_TEXT,
      ];
      await publishMany(nats.js, 4, (i) =>
        upload('model-host', `m-${i}`, [record(`r${i}`, texts[i]!)]),
      );
      await waitFor(() => streamMessageCount(nats.nc, STREAM.ingested), {
        until: (n) => n === 4,
        what: 'events',
        timeoutMs: 60_000, // the model's workers start slowly on a busy machine
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

      // a text past the window: one vector per passage; the best passage answers, once
      const spans = await passageSpans(LONG_TEXT);
      expect(spans.length).toBeGreaterThanOrEqual(3);
      const third = spans[2]!;
      const byPassage = await fetch(`${api}/api/v1/search`, {
        method: 'POST',
        headers: { 'content-type': 'application/json' },
        body: JSON.stringify({ query: LONG_TEXT.slice(third.start, third.end), limit: 10 }),
      });
      const passageHits = ((await byPassage.json()) as { results: PassageHit[] }).results;
      expect(passageHits[0]).toMatchObject({
        id: 'r3',
        similarity: expect.closeTo(1, 4),
        passage: { index: 2, start: third.start, end: third.end },
        content: LONG_TEXT,
      });
      expect(passageHits.filter((h) => h.id === 'r3')).toHaveLength(1);
    } finally {
      await kill(akosha, 'SIGTERM');
    }
  }, 120_000);
});
