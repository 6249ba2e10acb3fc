/** @jest-environment ./tests/embedding/onnx-environment.ts */
import { createHash } from 'node:crypto';
import type { Pipeline } from '../../app/pipeline';
import type { SearchResponse } from '../../api/search';
import { groupOfShard, subjects } from '../../streams/subjects';
import { embedderModelId } from '../../embedding/factory';
import { HASHING_MODEL } from '../../embedding/hashing-embedder';
import { encodeVector } from '../../embedding/vector';
import { loadConfig } from '../../infra/config';
import { shardOf } from '../../schemas/ids';
import type { DeadLetter } from '../../schemas/dead-letter';
import type { EmbeddedMessage } from '../../schemas/embedded';
import { STREAM } from '../../streams/definitions';
import { ensureModel, TINY_MODEL } from '../fixtures/model/ensure-model';
import { post } from '../helpers/http';
import { startTestNats, type TestNats } from '../helpers/nats';
import { startTestPipeline, testEnv } from '../helpers/pipeline';
import { exited, spawnAkosha } from '../helpers/processes';
import { readStream, streamMessageCount } from '../helpers/streams';
import { publishMany, record, upload } from '../helpers/uploads';
import { waitFor } from '../helpers/wait-for';

const SYSTEM = 'reembed-host';
const TEXTS = [
  'the shard writer owns its files',
  'dead letters carry a reason code',
  'a month old memory about tier moves',
];
const monthAgo = () => new Date(Date.now() - 30 * 86_400_000).toISOString();

describe('one model per hot tier; re-embedding after a change of embedder', () => {
  let nats: TestNats;
  let hashingEnv: Record<string, string>;
  let modelEnv: Record<string, string>;

  beforeAll(async () => {
    nats = await startTestNats();
    hashingEnv = testEnv(nats.url);
    modelEnv = {
      ...hashingEnv,
      AKOSHA_EMBEDDER: 'model',
      AKOSHA_EMBEDDING_MODEL: ensureModel(TINY_MODEL),
      AKOSHA_EMBEDDING_DTYPE: 'fp32',
      AKOSHA_EMBEDDING_WORKERS: '0',
    };
  });
  afterAll(() => nats.stop());

  const start = (env: Record<string, string>) =>
    startTestPipeline(loadConfig(env), ['ingest', 'writer', 'api']);
  const search = async (pipeline: Pipeline, query: string) => {
    const res = await post(pipeline.httpAddress!, '/api/v1/search', { query, limit: 5 });
    return (await res.json()) as SearchResponse;
  };

  it('stores with the model, refuses to start with another embedder, re-embeds, then serves it', async () => {
    const withModel = await start(modelEnv);
    await publishMany(nats.js, TEXTS.length, (i) =>
      upload(SYSTEM, `re-${i}`, [
        record(`r${i}`, TEXTS[i]!, { timestamp: i === 2 ? monthAgo() : new Date().toISOString() }),
      ]),
    );
    await waitFor(() => streamMessageCount(nats.nc, STREAM.ingested), {
      until: (n) => n === TEXTS.length,
    });
    const aging = { schema_version: 1, tier: 'hot', requested_at: new Date().toISOString() };
    nats.nc.publish('akosha.aging.hot', JSON.stringify(aging));
    await waitFor(() => withModel.mover!.warm.count(), { until: (n) => n === 1, what: 'aging' });
    await withModel.close();

    const modelId = embedderModelId(loadConfig(modelEnv).embedder);
    await expect(start(hashingEnv)).rejects.toThrow(
      `holds vectors of ${modelId}, the embedder is ${HASHING_MODEL}: run "akosha reembed"`,
    );

    const cli = spawnAkosha(['reembed'], hashingEnv);
    let out = '';
    let err = '';
    cli.stdout!.on('data', (d: Buffer) => (out += String(d)));
    cli.stderr!.on('data', (d: Buffer) => (err += String(d)));
    await exited(cli);
    expect({ code: cli.exitCode, err: cli.exitCode ? err : '' }).toEqual({ code: 0, err: '' });
    expect(JSON.parse(out)).toMatchObject({ model: HASHING_MODEL, hot: 2, warm: 1 });

    const withHashing = await start(hashingEnv);
    try {
      const found = await search(withHashing, TEXTS[1]!);
      expect(found.embedder.model).toBe(HASHING_MODEL);
      expect(found.results[0]).toMatchObject({ id: 'r1', similarity: expect.closeTo(1, 5) });
      const warm = await search(withHashing, TEXTS[2]!);
      expect(warm.results[0]).toMatchObject({ id: 'r2', tier: 'warm' });
      expect(warm.results[0]!.similarity).toBeGreaterThan(0.99); // int8 in warm
    } finally {
      await withHashing.close();
    }
  }, 60_000);

  it('dead-letters a chunk embedded by another model, and stores the rest', async () => {
    const pipeline = await start(testEnv(nats.url));
    try {
      const shard = shardOf(SYSTEM);
      const chunk = (uploadId: string, model: string): EmbeddedMessage => ({
        schema_version: 1,
        upload_id: uploadId,
        system_id: SYSTEM,
        shard,
        part: { index: 0, count: 1 },
        chunk: { index: 0, count: 1 },
        upload_seq: 1,
        embedder: { name: 'other', model, dim: 384 },
        records: [
          {
            id: `${uploadId}-r`,
            kind: 'conversation',
            content: uploadId,
            content_sha256: createHash('sha256').update(uploadId).digest('hex'),
            timestamp: '2026-11-20T10:00:00Z',
            project: null,
            tags: [],
            metadata: {},
            vector: encodeVector(new Float32Array(384).fill(1 / Math.sqrt(384))),
            vector_source: 'embedder',
          },
        ],
        rejected_ids: [],
      });
      const subject = subjects.embedded(groupOfShard(shard, 16), shard);
      await nats.js.publish(subject, JSON.stringify(chunk('foreign', 'someone-elses-model')));
      await nats.js.publish(subject, JSON.stringify(chunk('native', HASHING_MODEL)));
      const letters = await waitFor(
        () => readStream<DeadLetter>(nats.nc, nats.js, STREAM.deadLetters),
        { until: (l) => l.length === 1, what: 'the dead letter' },
      );
      expect(letters[0]!.data).toMatchObject({ code: 'EMBEDDER_MISMATCH', stage: 'write' });
      expect(letters[0]!.data.reason).toMatch(/someone-elses-model/);
      await waitFor(() => pipeline.store!.keys(shard), {
        until: (k) => k.includes(`${SYSTEM}/native-r`),
      });
      expect(await pipeline.store!.keys(shard)).not.toContain(`${SYSTEM}/foreign-r`);
    } finally {
      await pipeline.close();
    }
  });
});
