/**
 * One embedding worker thread: lowers its own priority (AKOSHA_EMBEDDING_NICE), then loads its
 * own ModelEmbedder (one ONNX session, intra-op threads as told, 1 by default) and answers embed requests from
 * WorkerPoolEmbedder. Loaded by path, compiled or through tsx: infra/entry-files.ts.
 */
import { parentPort, workerData } from 'node:worker_threads';
import { ModelEmbedder } from './model-embedder';
import { lowerThreadPriority } from '../infra';
import type { FromWorker, ToWorker, WorkerData } from './worker-pool';

const port = parentPort!;

async function main(): Promise<void> {
  const { nice, ...options } = workerData as WorkerData;
  // before the session exists: its intra-op threads inherit this thread's priority
  lowerThreadPriority(nice);
  let embedder: ModelEmbedder;
  try {
    embedder = await ModelEmbedder.load(options);
  } catch (err) {
    port.postMessage({ type: 'error', message: (err as Error).message } satisfies FromWorker);
    return;
  }
  port.postMessage({
    type: 'ready',
    info: embedder.info,
    maxTokens: embedder.maxTokens,
  } satisfies FromWorker);
  port.on('message', (msg: ToWorker) => {
    if (msg.type === 'close') {
      void embedder.close().finally(() => port.close());
      return;
    }
    embedder.embed(msg.texts).then(
      (vectors) => {
        const reply: FromWorker = { type: 'result', id: msg.id, vectors };
        port.postMessage(
          reply,
          vectors.map((v) => v.buffer as ArrayBuffer),
        );
      },
      (err: Error) =>
        port.postMessage({ type: 'failed', id: msg.id, message: err.message } satisfies FromWorker),
    );
  });
}

void main();
