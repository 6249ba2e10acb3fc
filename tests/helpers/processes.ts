import { spawn, type ChildProcess } from 'node:child_process';
import { join } from 'node:path';
import { waitFor } from './wait-for';

const ROOT = join(__dirname, '..', '..');

/** Runs the real CLI from source (`bin/akosha-source.js`) as a child process with the given environment. */
export function spawnAkosha(args: string[], env: Record<string, string>): ChildProcess {
  const child = spawn(process.execPath, [join(ROOT, 'bin', 'akosha-source.js'), ...args], {
    cwd: ROOT,
    env: { ...process.env, ...env },
    stdio: ['ignore', 'pipe', 'pipe'],
  });
  if (process.env.AKOSHA_TEST_CHILD_LOG) {
    child.stdout?.pipe(process.stderr);
    child.stderr?.pipe(process.stderr);
  } else {
    child.stdout?.resume();
    child.stderr?.resume();
  }
  return child;
}

/** Runs a short Node script as its own process; resolves once it prints `ready`. */
export function spawnNodeScript(script: string): Promise<ChildProcess> {
  const child = spawn(process.execPath, ['-e', script], {
    cwd: ROOT,
    stdio: ['ignore', 'pipe', 'inherit'],
  });
  return new Promise((resolve, reject) => {
    child.stdout?.on('data', (d: Buffer) => d.toString().includes('ready') && resolve(child));
    child.once('exit', (code) => reject(new Error(`script exited early (${code})`)));
  });
}

export function exited(child: ChildProcess): Promise<void> {
  if (child.exitCode !== null || child.signalCode !== null) return Promise.resolve();
  return new Promise((resolve) => child.once('exit', () => resolve()));
}

export async function kill(child: ChildProcess, signal: NodeJS.Signals): Promise<void> {
  const done = exited(child);
  child.kill(signal);
  await done;
}

/** Runs the CLI to its end: exit code and what it wrote. */
export async function runAkosha(
  args: string[],
  env: Record<string, string>,
): Promise<{ code: number | null; stdout: string; stderr: string }> {
  const child = spawnAkosha(args, env);
  let stdout = '';
  let stderr = '';
  child.stdout?.on('data', (d: Buffer) => (stdout += d.toString()));
  child.stderr?.on('data', (d: Buffer) => (stderr += d.toString()));
  await exited(child);
  return { code: child.exitCode, stdout, stderr };
}

/** A CLI process past its `akosha started` log line (AKOSHA_LOG_LEVEL=info or lower). */
export interface StartedAkosha {
  child: ChildProcess;
  /** the http address the started line names */
  http: string;
  /** stdout so far, one JSON log line each */
  lines: () => string[];
}

/**
 * Spawns the CLI and waits for its `akosha started` line. A process that exits first, or
 * does not start in time, fails the call (and is killed).
 */
export async function startAkosha(
  args: string[],
  env: Record<string, string>,
  timeoutMs = 90_000,
): Promise<StartedAkosha> {
  const child = spawnAkosha(args, env);
  let out = '';
  child.stdout?.on('data', (d: Buffer) => (out += d.toString()));
  const started = () => out.split('\n').find((l) => l.includes('akosha started'));
  try {
    await waitFor(() => started() !== undefined || child.exitCode !== null, {
      what: 'akosha started',
      timeoutMs,
    });
    if (!started()) throw new Error(`akosha exited with ${child.exitCode} before it started`);
  } catch (err) {
    await kill(child, 'SIGKILL');
    throw err;
  }
  const http = (JSON.parse(started()!) as { http: string }).http;
  return { child, http, lines: () => out.split('\n') };
}
