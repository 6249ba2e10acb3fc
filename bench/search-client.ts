/**
 * One search client in a worker thread of its own: POST /api/v1/search in a loop, one request
 * at a time over a kept-alive connection, rotating distinct query texts. On its own thread so
 * that the bench's publishing does not delay the timing of the answers.
 */
import { Worker } from 'node:worker_threads';

/** Plain JavaScript: the worker runs it as is, without tsx's loader. */
const LOOP = `
const { parentPort, workerData } = require('node:worker_threads');
const http = require('node:http');
const { url, limit } = workerData;
const agent = new http.Agent({ keepAlive: true, maxSockets: 1 });
const words = 'stream shard writer duckdb vector index replay ack latency cache memory session'.split(' ');
const body = (i) => JSON.stringify({ query: words[i % 12] + ' ' + words[(i * 7 + 3) % 12] + ' ' + i, limit });
let stop = false;
parentPort.once('message', () => (stop = true));
function post(i) {
  return new Promise((resolve) => {
    const data = body(i);
    const req = http.request(url, { method: 'POST', agent, headers: { 'content-type': 'application/json', 'content-length': Buffer.byteLength(data) } }, (res) => {
      res.resume();
      res.on('end', () => resolve(res.statusCode === 200));
    });
    req.on('error', () => resolve(false));
    req.end(data);
  });
}
(async () => {
  const latencies = [];
  let failed = 0;
  for (let i = 0; !stop; i++) {
    const t0 = performance.now();
    const ok = await post(i);
    if (ok) latencies.push(performance.now() - t0); else failed++;
  }
  agent.destroy();
  parentPort.postMessage({ latencies, failed });
})();
`;

export interface SearchLoopResult {
  /** each answered search's wall time, ms */
  latencies: number[];
  failed: number;
}

/** Searches `baseUrl` until the returned stop() is called; stop() resolves with the timings. */
export function startSearchLoop(baseUrl: string, limit = 10): () => Promise<SearchLoopResult> {
  const worker = new Worker(LOOP, {
    eval: true,
    workerData: { url: `${baseUrl}/api/v1/search`, limit },
  });
  const result = new Promise<SearchLoopResult>((resolve, reject) => {
    worker.once('message', (m: SearchLoopResult) => resolve(m));
    worker.once('error', reject);
  });
  return async () => {
    worker.postMessage('stop');
    const r = await result;
    await worker.terminate();
    return r;
  };
}
