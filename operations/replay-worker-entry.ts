/** Worker thread of PrepareWorker (replay-worker.ts): prepares batches with the HashingEmbedder. */
import { parentPort } from 'node:worker_threads';
import { HashingEmbedder } from '../embedding';
import { prepareBatch } from './replay-prepare';
import type { PrepareReply, PrepareRequest } from './replay-worker';

const port = parentPort!;
const embedder = new HashingEmbedder();
port.on('message', (req: PrepareRequest) => {
  prepareBatch(req.messages, embedder, req.limits, req.dryRun).then(
    (batch) => port.postMessage({ id: req.id, batch } satisfies PrepareReply),
    (err: Error) => port.postMessage({ id: req.id, error: err.message } satisfies PrepareReply),
  );
});
