import { Worker, type WorkerOptions } from 'node:worker_threads';
import type { Logger } from 'pino';
import { settleWithin } from './settle';

/** The worker threads this process started that have not exited. */
const running = new Set<Worker>();

/** How long `exitProcess` waits for the worker threads to stop. */
export const WORKERS_STOP_MS = 3000;

/** `new Worker(...)`, known to `exitProcess`. */
export function startWorker(code: string, options: WorkerOptions): Worker {
  const worker = new Worker(code, options);
  running.add(worker);
  worker.once('exit', () => running.delete(worker));
  return worker;
}

/**
 * Exits with `code` once every worker thread stopped. `process.exit` joins each worker thread,
 * and a thread inside a native call cannot be interrupted: one that never returns would hold
 * the process until a supervisor kills it. So the workers are stopped first, and when one
 * does not stop within `stopMs`, the process leaves by SIGTERM's default action (exit status
 * 143), which joins no thread.
 */
export async function exitProcess(
  code: number,
  log?: Logger,
  stopMs = WORKERS_STOP_MS,
): Promise<never> {
  if (!(await stopWorkers(stopMs))) {
    log?.warn({ workers: running.size, stopMs }, 'worker threads did not stop: exiting by signal');
    process.removeAllListeners('SIGTERM'); // the signal's default action is restored
    process.kill(process.pid, 'SIGTERM');
  }
  return process.exit(code);
}

/** True when every worker thread stopped within `ms`. */
async function stopWorkers(ms: number): Promise<boolean> {
  if (running.size === 0) return true;
  const stopped = Promise.allSettled([...running].map((w) => w.terminate()));
  return (await settleWithin(stopped, ms)) === 'done';
}
