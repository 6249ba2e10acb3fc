import { startWorker } from '../../infra';

// Plain JavaScript: a worker of eval'd code runs without the TypeScript loader.
const HASH_WORKER = `
const { parentPort, workerData } = require('node:worker_threads');
const { createHash } = require('node:crypto');
const { openSync, readSync, closeSync } = require('node:fs');
const { path, bytes } = workerData;
const hash = createHash('sha256');
const fd = openSync(path, 'r');
try {
  const buf = Buffer.allocUnsafe(1 << 24);
  for (let pos = 0; bytes === undefined || pos < bytes; ) {
    const want = bytes === undefined ? buf.length : Math.min(buf.length, bytes - pos);
    const n = readSync(fd, buf, 0, want, pos);
    if (n === 0) break;
    hash.update(buf.subarray(0, n));
    pos += n;
  }
} finally {
  closeSync(fd);
}
parentPort.postMessage(hash.digest('hex'));
`;

/**
 * sha256 (hex) of a file's first `bytes` bytes (all when absent), computed on a worker
 * thread: an open hashes gigabytes, and this lets the event loop's thread load the rest
 * meanwhile. Rejects when the file cannot be read.
 */
export function sha256InWorker(path: string, bytes?: number): Promise<string> {
  return new Promise((resolve, reject) => {
    const worker = startWorker(HASH_WORKER, { eval: true, workerData: { path, bytes } });
    worker.once('message', (hex: string) => resolve(hex));
    worker.once('error', reject);
    worker.once('exit', (code) => {
      if (code !== 0) reject(new Error(`hashing ${path} stopped with code ${code}`));
    });
  });
}
