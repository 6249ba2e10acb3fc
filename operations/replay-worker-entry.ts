/** Worker thread of PrepareWorker (replay-worker.ts): prepares batches with the HashingEmbedder. */
import { parentPort } from 'node:worker_threads';
import { HashingEmbedder } from '../embedding';
import { prepareBatch, type PreparedBatch } from './replay-prepare';
import { PREPARE_WORKER_READY, type PrepareReply, type PrepareRequest } from './replay-worker';

const port = parentPort!;
const embedder = new HashingEmbedder();
port.on('message', (req: PrepareRequest) => {
  prepareBatch(req.messages, embedder, req.limits, req.dryRun).then(
    (batch) => port.postMessage({ id: req.id, batch } satisfies PrepareReply, packVectors(batch)),
    (err: Error) => port.postMessage({ id: req.id, error: err.message } satisfies PrepareReply),
  );
});
port.postMessage(PREPARE_WORKER_READY);

/**
 * Makes the batch's vectors views of one buffer, to transfer: one move instead of a copy of
 * each (a batch holds ~10,000 of them).
 */
function packVectors(batch: PreparedBatch): ArrayBuffer[] {
  const inputs = batch.byShard.flatMap(([, list]) => list);
  const floats = inputs.reduce((n, i) => n + i.vectors.reduce((m, v) => m + v.length, 0), 0);
  const packed = new Float32Array(floats);
  let at = 0;
  for (const input of inputs)
    input.vectors = input.vectors.map((v) => {
      packed.set(v, at);
      at += v.length;
      return packed.subarray(at - v.length, at);
    });
  return [packed.buffer];
}
