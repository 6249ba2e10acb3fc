import { HashingEmbedder } from '../../embedding/hashing-embedder';
import { prepareBatch, type RawUpload } from '../../operations/replay-prepare';
import { PrepareWorker } from '../../operations/replay-worker';
import { subjects } from '../../streams/subjects';
import { shardOf } from '../../schemas/ids';
import { record, unitVector, upload } from '../helpers/uploads';
import { waitFor } from '../helpers/wait-for';

const LIMITS = { maxMessageBytes: 64 * 1024, chunkMaxBytes: 16 * 1024 };

function messages(): RawUpload[] {
  return ['worker-a', 'worker-b'].flatMap((system, s) =>
    [0, 1].map((u) => {
      const records = Array.from({ length: 40 }, (_, k) =>
        record(
          `r-${u}-${k}`,
          `${system} memory ${u} ${k}`,
          k === 7 ? { embedding: unitVector(k) } : {},
        ),
      );
      records.push(record('bad', 'a vector of the wrong size', { embedding: [1, 2] }));
      const data = Buffer.from(JSON.stringify(upload(system, `${system}-u${u}`, records)));
      return { subject: subjects.upload(shardOf(system), system), seq: s * 2 + u + 1, data };
    }),
  );
}

/** The batch with its vectors as plain arrays (a transferred view and a copy compare alike). */
const plain = (batch: Awaited<ReturnType<typeof prepareBatch>>) => ({
  ...batch,
  decodeSeconds: 0,
  embedSeconds: 0,
  byShard: batch.byShard.map(([shard, inputs]) => [
    shard,
    inputs.map((i) => ({ ...i, vectors: i.vectors.map((v) => Array.from(v)) })),
  ]),
});

describe('the replay worker thread', () => {
  it('says when it is ready, and prepares a batch exactly as this thread does', async () => {
    const worker = PrepareWorker.start();
    try {
      await waitFor(() => worker.ready, { timeoutMs: 60_000, what: 'the worker ready' });
      const there = await worker.prepare(messages(), LIMITS, false);
      const here = await prepareBatch(messages(), new HashingEmbedder(), LIMITS, false);
      expect(there.valid).toBe(160);
      expect(there.rejected).toBe(4);
      expect(there.byShard.flatMap(([, inputs]) => inputs).length).toBeGreaterThan(4); // chunked
      expect(plain(there)).toEqual(plain(here));
    } finally {
      await worker.close();
    }
  });
});
