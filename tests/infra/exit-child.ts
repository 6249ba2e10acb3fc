/**
 * Child process of exit-process.test.ts: starts one worker thread, then exits through
 * exitProcess with AKOSHA_TEST_EXIT_CODE once the worker is ready. AKOSHA_TEST_WORKER says
 * what the worker does: `idle` (an interval; ready when it says so) or `stuck` (a synchronous
 * child process, which terminate cannot stop; ready when that process made AKOSHA_TEST_READY).
 */
import { existsSync } from 'node:fs';
import { exitProcess, startWorker } from '../../infra/owned-workers';

const ready = process.env.AKOSHA_TEST_READY!;
const WORKERS: Record<string, string> = {
  idle: `require('node:worker_threads').parentPort.postMessage('ready'); setInterval(() => {}, 1000);`,
  stuck: `require('node:child_process').execFileSync('sh', ['-c', 'touch "$0"; sleep 20', ${JSON.stringify(ready)}],
    { stdio: 'ignore', timeout: 20000 });`,
};

const exit = () => void exitProcess(Number(process.env.AKOSHA_TEST_EXIT_CODE), undefined, 500);
const worker = startWorker(WORKERS[process.env.AKOSHA_TEST_WORKER ?? '']!, { eval: true });
worker.once('message', exit);
const poll = setInterval(() => {
  if (!existsSync(ready)) return;
  clearInterval(poll);
  exit();
}, 20);
