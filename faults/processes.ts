import { spawn, type ChildProcess } from 'node:child_process';
import { createWriteStream, existsSync } from 'node:fs';
import { createServer } from 'node:net';
import { join } from 'node:path';

/** This checkout; a run can point at another one (`--root`) to test a build of other code. */
export const ROOT = join(__dirname, '..');

/** A free loopback port, chosen once so that a restarted nats-server keeps its URL. */
export function freePort(): Promise<number> {
  return new Promise((resolve, reject) => {
    const server = createServer();
    server.once('error', reject);
    server.listen(0, '127.0.0.1', () => {
      const { port } = server.address() as { port: number };
      server.close(() => resolve(port));
    });
  });
}

/** The CLI run from source; a checkout older than bin/akosha-source.js ran tsx from bin/akosha.js. */
function sourceCli(root: string): string {
  const source = join(root, 'bin', 'akosha-source.js');
  return existsSync(source) ? source : join(root, 'bin', 'akosha.js');
}

/** One akosha CLI process; its stdout and stderr are appended to `logFile`. */
export interface AkoshaProcess {
  child: ChildProcess;
  /** resolves once the process logged that it started; rejects if it exits first */
  started: Promise<void>;
}

export function spawnAkosha(
  args: string[],
  env: Record<string, string>,
  logFile: string,
  root = ROOT,
): AkoshaProcess {
  const child = spawn(process.execPath, [sourceCli(root), ...args], {
    cwd: root,
    env: { ...process.env, ...env },
    stdio: ['ignore', 'pipe', 'pipe'],
  });
  const log = createWriteStream(logFile, { flags: 'a' });
  child.stderr?.pipe(log, { end: false });
  child.once('close', () => log.end()); // every output is in once stdio closed
  let seen = '';
  const started = new Promise<void>((resolve, reject) => {
    child.stdout?.on('data', (d: Buffer) => {
      log.write(d);
      if (seen === 'done') return;
      seen = (seen + d.toString()).slice(-4000);
      if (seen.includes('"msg":"akosha started"')) {
        seen = 'done';
        resolve();
      }
    });
    child.once('exit', (code, signal) => {
      reject(new Error(`akosha ${args.join(' ')} exited (${code ?? signal}) before it started`));
    });
  });
  started.catch(() => undefined); // a process killed before it started is a fault, not a crash
  return { child, started };
}

export function exited(child: ChildProcess): Promise<void> {
  if (child.exitCode !== null || child.signalCode !== null) return Promise.resolve();
  return new Promise((resolve) => child.once('exit', () => resolve()));
}

/** Sends `signal`; waits for the exit, and after `graceMs` sends SIGKILL. Resolves with the wait in ms. */
export async function stop(
  child: ChildProcess,
  signal: NodeJS.Signals,
  graceMs = 60_000,
): Promise<number> {
  const t0 = Date.now();
  const done = exited(child);
  child.kill(signal);
  const timer = setTimeout(() => child.kill('SIGKILL'), graceMs);
  await done;
  clearTimeout(timer);
  return Date.now() - t0;
}
