import { createHash } from 'node:crypto';
import { encodeVector } from '../../embedding/vector';
import type { Pipeline } from '../../app/pipeline';
import type { DeadLetter } from '../../schemas/dead-letter';
import type { EmbeddedMessage, EmbeddedRecord } from '../../schemas/embedded';
import { shardOf } from '../../schemas/ids';
import { STREAM } from '../../streams/definitions';
import { groupOfShard, subjects } from '../../streams/subjects';
import { post } from '../helpers/http';
import { startTestNatsWithStreams, type TestNats } from '../helpers/nats';
import { startTestPipeline, testConfig } from '../helpers/pipeline';
import { readStream, streamMessageCount } from '../helpers/streams';
import { waitFor } from '../helpers/wait-for';
import { chunkInput, embeddedRecord } from '../storage/chunk-inputs';

const GROUPS = 16;
const NOT_OWNED = 15;
const groupOf = (systemId: string) => groupOfShard(shardOf(systemId), GROUPS);
/** The first `forged-<i>` system id that satisfies `pick`. */
const systemWhere = (pick: (id: string) => boolean) => {
  for (let i = 0; ; i++) if (pick(`forged-${i}`)) return `forged-${i}`;
};

const HONEST = systemWhere((id) => groupOf(id) !== NOT_OWNED);
const SHARD = shardOf(HONEST);
const SUBJECT = subjects.embedded(groupOf(HONEST), SHARD);
const VICTIM = systemWhere((id) => groupOf(id) !== NOT_OWNED && shardOf(id) !== SHARD);
const OUTSIDER = systemWhere((id) => groupOf(id) === NOT_OWNED);
const AT = '2026-11-20T10:00:00Z';

const chunk = (systemId: string, uploadId: string, records: EmbeddedRecord[]): EmbeddedMessage => ({
  ...chunkInput(systemId, uploadId, []).message,
  records,
});
const rec = (id: string, extra: Partial<EmbeddedRecord> = {}): EmbeddedRecord => ({
  ...embeddedRecord(id, `forged memory ${id} about lighthouse keepers`, AT),
  ...extra,
});
const vectorOf = (values: number[]) => encodeVector(Float32Array.from(values));
const sha = (text: string) => createHash('sha256').update(text).digest('hex');

/** Each forged chunk, where it is published, and the code its dead letter must carry. */
const FORGED: { code: string; subject: string; message: EmbeddedMessage }[] = [
  // another system's records into this shard: the chunk claims the shard, not its system
  {
    code: 'CHUNK_SHARD_MISMATCH',
    subject: SUBJECT,
    message: { ...chunk(VICTIM, 'u-shard', [rec('shard-1')]), shard: SHARD },
  },
  // a shard of a group the writer does not own, smuggled onto an owned group's subject
  {
    code: 'CHUNK_GROUP_NOT_OWNED',
    subject: subjects.embedded(groupOf(HONEST), shardOf(OUTSIDER)),
    message: chunk(OUTSIDER, 'u-group', [rec('group-1')]),
  },
  {
    code: 'CHUNK_CHECKSUM_MISMATCH',
    subject: SUBJECT,
    message: chunk(HONEST, 'u-sum', [rec('sum-1', { content: 'not what was hashed' })]),
  },
  {
    code: 'CHUNK_VECTOR_INVALID',
    subject: SUBJECT,
    message: chunk(HONEST, 'u-nan', [
      rec('nan-1', { vector: vectorOf([NaN, ...Array(383).fill(0.05)]) }),
    ]),
  },
  {
    code: 'CHUNK_VECTOR_INVALID',
    subject: SUBJECT,
    message: chunk(HONEST, 'u-dim', [rec('dim-1', { vector: vectorOf(Array(512).fill(0.04)) })]),
  },
  // 384 float32s in base64url with junk after them: Buffer would still decode 1,536 bytes
  {
    code: 'CHUNK_VECTOR_INVALID',
    subject: SUBJECT,
    message: chunk(HONEST, 'u-b64', [
      rec('b64-1', {
        vector: `${Buffer.from(Float32Array.from(Array(384).fill(0.25)).buffer).toString('base64url')}!!`,
      }),
    ]),
  },
  {
    code: 'CHUNK_TOO_LARGE',
    subject: SUBJECT,
    message: chunk(HONEST, 'u-tags', [
      rec('tags-1', { tags: Array.from({ length: 500 }, (_, i) => `t${i}`) }),
    ]),
  },
  {
    code: 'CHUNK_TOO_LARGE',
    subject: SUBJECT,
    message: chunk(HONEST, 'u-big', [
      rec('big-1', {
        content: 'lighthouse '.repeat(10_000),
        content_sha256: sha('lighthouse '.repeat(10_000)),
      }),
    ]),
  },
];

describe('the shard writer does not trust embedded chunks', () => {
  let nats: TestNats;
  let pipeline: Pipeline;
  beforeAll(async () => {
    nats = await startTestNatsWithStreams();
    const owned = `0-${NOT_OWNED - 1}`;
    pipeline = await startTestPipeline(testConfig(nats.url, { AKOSHA_WRITER_GROUPS: owned }), [
      'writer',
      'api',
    ]);
  });
  afterAll(async () => {
    await pipeline.close();
    await nats.stop();
  });

  it('dead-letters each forged chunk with its own code and stores the valid one beside them', async () => {
    const valid = chunk(HONEST, 'u-valid', [rec('valid-1')]);
    const published = [];
    // the valid chunk in the middle of the forged ones: they arrive in one batch
    const sequence = [
      ...FORGED.slice(0, 3),
      { code: 'ok', subject: SUBJECT, message: valid },
      ...FORGED.slice(3),
    ];
    for (const f of sequence) {
      const ack = await nats.js.publish(f.subject, JSON.stringify(f.message));
      published.push({ ...f, seq: ack.seq });
    }

    await waitFor(() => streamMessageCount(nats.nc, STREAM.embedded), {
      until: (n) => n === 0,
      what: 'every chunk settled',
    });
    const letters = await readStream<DeadLetter>(nats.nc, nats.js, STREAM.deadLetters);
    const byOrigin = new Map(letters.map((l) => [l.data.stream_seq, l.data]));
    for (const f of published.filter((p) => p.code !== 'ok')) {
      expect(byOrigin.get(f.seq)).toMatchObject({
        code: f.code,
        stage: 'write',
        subject: f.subject,
      });
    }
    expect(letters).toHaveLength(FORGED.length);

    expect(await pipeline.store!.keys(SHARD)).toEqual([`${HONEST}/valid-1`]);
    expect(await pipeline.store!.keys(shardOf(VICTIM))).toEqual([]);
  });

  it('serves no forged record to a search', async () => {
    const res = await post(pipeline.httpAddress!, '/api/v1/search', {
      query: 'memory about lighthouse keepers',
      limit: 50,
    });
    expect(res.status).toBe(200);
    const { results } = (await res.json()) as { results: { id: string; system_id: string }[] };
    expect(results.map((r) => `${r.system_id}/${r.id}`)).toEqual([`${HONEST}/valid-1`]);
  });
});
