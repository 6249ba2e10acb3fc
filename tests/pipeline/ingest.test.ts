import type { Pipeline } from '../../app/pipeline';
import { publishUpload } from '../../producers/publish-upload';
import { shardOf } from '../../schemas/ids';
import type { DeadLetter } from '../../schemas/dead-letter';
import type { IngestedEvent } from '../../schemas/ingested';
import type { MemoryRecord } from '../../schemas/record';
import { STREAM } from '../../streams/definitions';
import { subjects } from '../../streams/subjects';
import { startTestNats, type TestNats } from '../helpers/nats';
import { startTestPipeline, testConfig } from '../helpers/pipeline';
import { readStream, streamMessageCount } from '../helpers/streams';
import { waitFor } from '../helpers/wait-for';
import { record, unitVector, upload } from '../helpers/uploads';

const SYSTEMS = 50;
const UPLOADS = 1000;
const systemOf = (u: number) => `sys-${u % SYSTEMS}`;
const contentOf = (u: number, k: number) =>
  `system ${systemOf(u)} upload ${u} memory ${k} about topic${u * 7 + k}`;

interface Expected {
  stored: string[];
  duplicate: string[];
  rejected: string[];
}

/** Upload u: three fresh records, plus (in the second wave) duplicates of earlier ones and bad records. */
function buildUpload(u: number): { records: unknown[]; expected: Expected } {
  const fresh = [0, 1, 2].map((k) =>
    record(`r-${u}-${k}`, contentOf(u, k), k === 2 ? { embedding: unitVector(u) } : {}),
  );
  const expected: Expected = { stored: fresh.map((r) => r.id), duplicate: [], rejected: [] };
  const records: unknown[] = [...fresh];
  if (u >= UPLOADS / 2 && u % 10 === 5) {
    records.push(record(`r-${u - 500}-0`, contentOf(u - 500, 0))); // same key as an earlier record
    expected.duplicate.push(`r-${u - 500}-0`);
  }
  if (u >= UPLOADS / 2 && u % 25 === 7) {
    records.push(record(`r-${u}-copy`, contentOf(u - 500, 1))); // same content, new id
    expected.duplicate.push(`r-${u}-copy`);
  }
  if (u % 20 === 11) {
    records.push(record(`r-${u}-bad`, 'wrong vector size', { embedding: [0.5, 0.5] }));
    expected.rejected.push(`r-${u}-bad`);
  }
  return { records, expected };
}

describe('ingest pipeline end to end', () => {
  let nats: TestNats;
  let pipeline: Pipeline;
  const expected = new Map<string, Expected>();

  beforeAll(async () => {
    nats = await startTestNats();
    pipeline = await startTestPipeline(testConfig(nats.url));
  });
  afterAll(async () => {
    await pipeline.close();
    await nats.stop();
  });

  async function publishWave(from: number, to: number): Promise<void> {
    for (let start = from; start < to; start += 100) {
      await Promise.all(
        Array.from({ length: Math.min(100, to - start) }, async (_, i) => {
          const u = start + i;
          const { records, expected: e } = buildUpload(u);
          expected.set(`up-${u}`, e);
          const message = upload(systemOf(u), `up-${u}`, records);
          const ack = await nats.js.publish(
            subjects.upload(shardOf(systemOf(u)), systemOf(u)),
            JSON.stringify(message),
            { msgID: `up-${u}` },
          );
          expect(ack.duplicate).toBe(false);
        }),
      );
    }
  }

  async function publishMalformed(): Promise<string[]> {
    const codes: string[] = [];
    for (let i = 0; i < 10; i++) {
      const sys = systemOf(i);
      await nats.js.publish(
        subjects.upload(shardOf(sys), sys),
        `{"schema_version":1,"upload_id":"broken-${i}"`,
      );
      codes.push('MALFORMED_JSON');
      const noDate = { ...upload(sys, `nodate-${i}`, [record('x', 'x')]), created_at: undefined };
      await nats.js.publish(subjects.upload(shardOf(sys), sys), JSON.stringify(noDate));
      codes.push('SCHEMA_INVALID');
      const other = systemOf(i + 1);
      await nats.js.publish(
        subjects.upload(shardOf(other), other),
        JSON.stringify(upload(sys, `misrouted-${i}`, [record('x', 'x')])),
      );
      codes.push('SUBJECT_MISMATCH');
    }
    return codes;
  }

  it('stores every valid record exactly once, dead-letters every bad one, and announces each upload once', async () => {
    await publishWave(0, UPLOADS / 2);
    const messageCodes = await publishMalformed();
    await waitFor(() => streamMessageCount(nats.nc, STREAM.ingested), {
      until: (n) => n === UPLOADS / 2,
      what: 'first wave events',
    });
    await publishWave(UPLOADS / 2, UPLOADS);
    const republished = await publishUpload(
      nats.js,
      upload(systemOf(3), 'up-3', buildUpload(3).records),
      { maxPayloadBytes: 1 << 20 },
    );
    expect(republished.duplicate).toBe(true);

    await waitFor(() => streamMessageCount(nats.nc, STREAM.ingested), {
      until: (n) => n >= UPLOADS,
      what: 'all events',
      timeoutMs: 60_000,
    });
    const events = await readStream<IngestedEvent>(nats.nc, nats.js, STREAM.ingested);
    expect(events).toHaveLength(UPLOADS);
    for (const { data, subject } of events) {
      const e = expected.get(data.upload_id)!;
      expect(subject).toBe(`akosha.ingested.${data.system_id}`);
      expect({
        id: data.upload_id,
        stored: data.record_ids,
        duplicate: data.duplicate_ids,
        rejected: data.rejected_ids,
      }).toEqual({ id: data.upload_id, ...e });
      expect(data.counts).toEqual({
        received: e.stored.length + e.duplicate.length + e.rejected.length,
        stored: e.stored.length,
        duplicate: e.duplicate.length,
        rejected: e.rejected.length,
      });
    }

    const expectedRejected = [...expected.values()].flatMap((e) => e.rejected);
    const letters = (
      await waitFor(() => readStream<DeadLetter>(nats.nc, nats.js, STREAM.deadLetters), {
        until: (l) => l.length >= messageCodes.length + expectedRejected.length,
        what: 'dead letters',
      })
    ).map((l) => l.data);
    expect(letters).toHaveLength(messageCodes.length + expectedRejected.length);
    expect(
      letters
        .filter((l) => l.payload_kind === 'message')
        .map((l) => l.code)
        .sort(),
    ).toEqual(messageCodes.sort());
    const recordLetters = letters.filter((l) => l.payload_kind === 'record');
    expect(recordLetters.map((l) => l.record_id).sort()).toEqual(expectedRejected.sort());
    for (const l of letters) {
      expect(l.stream).toBe(STREAM.uploads);
      expect(l.stream_seq).toBeGreaterThan(0);
      expect(l.payload_base64).toBeDefined();
    }
    expect(recordLetters.every((l) => l.code === 'EMBEDDING_DIMENSION')).toBe(true);

    const storedKeys = [...expected]
      .flatMap(([u, e]) => e.stored.map((id) => `${systemOf(Number(u.slice(3)))}/${id}`))
      .sort();
    const store = pipeline.store!;
    const actualKeys = (await Promise.all(store.shards.map((s) => store.keys(s)))).flat().sort();
    expect(actualKeys).toEqual(storedKeys);
  });

  it('finds stored records by search, each once, a producer vector of another model replaced', async () => {
    const base = `http://${pipeline.httpAddress!.replace(/^https?:\/\//, '')}`;
    for (const u of [0, 17, 333, 501, 999]) {
      const res = await fetch(`${base}/api/v1/search`, {
        method: 'POST',
        headers: { 'content-type': 'application/json' },
        body: JSON.stringify({ query: contentOf(u, 1), system_id: systemOf(u), limit: 5 }),
      });
      const body = (await res.json()) as {
        results: (MemoryRecord & { system_id: string; similarity: number })[];
      };
      expect(body.results[0]).toMatchObject({
        id: `r-${u}-1`,
        system_id: systemOf(u),
        content: contentOf(u, 1),
      });
      expect(new Set(body.results.map((r) => r.id)).size).toBe(body.results.length);
    }
    // the producer's vector came from another model than the embedder's: it was replaced
    const byProducerVector = await pipeline.store!.searchIndex(Float32Array.from(unitVector(42)), {
      limit: 1,
    });
    expect(byProducerVector[0]?.similarity).toBeLessThan(0.5);
    const [own] = await pipeline.embedder.embed([contentOf(42, 2)]);
    const [hit] = await pipeline.store!.searchIndex(own!, { limit: 1 });
    expect(hit).toMatchObject({ id: 'r-42-2', similarity: expect.closeTo(1, 5) });
  });
});
