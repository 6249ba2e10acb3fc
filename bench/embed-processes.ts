/**
 * Helpers of bench/embed.ts for the layout the pipeline is deployed in: the embed stage
 * (`akosha start --roles ingest`, its own process) and the bare pool each pinned to a
 * core of their own with taskset; the shard writer, nats-server and the harness on the
 * other core.
 */
import { spawn, spawnSync, type ChildProcess } from 'node:child_process';
import { readFileSync } from 'node:fs';
import { createInterface } from 'node:readline';
import { join } from 'node:path';
import { exited } from './pipeline-process';

const ROOT = join(__dirname, '..');

/** CPU seconds (user + system) of a /proc stat file; 0 where /proc is missing. */
export function statCpuS(path: string): number {
  try {
    const fields = readFileSync(path, 'utf8').split(') ')[1]!.split(' ');
    return (Number(fields[11]) + Number(fields[12])) / 100; // utime, stime in 1/100 s (CLK_TCK)
  } catch {
    return 0;
  }
}

export const hasTaskset = (): boolean =>
  spawnSync('taskset', ['--version'], { stdio: 'ignore' }).status === 0;

/** Pins every thread of a running process to `cpus`; threads it starts later inherit it. */
export function pinAll(pid: number, cpus: string): void {
  const done = spawnSync('taskset', ['-a', '-p', '-c', cpus, String(pid)], { stdio: 'ignore' });
  if (done.status !== 0) throw new Error(`taskset could not pin ${pid} to CPU ${cpus}`);
}

/** CPU seconds of a child so far: the whole process and its main thread. */
export const childCpu = (pid: number) => ({
  process: statCpuS(`/proc/${pid}/stat`),
  main: statCpuS(`/proc/${pid}/task/${pid}/stat`),
});

function spawnPinned(cpus: string, args: string[], env: Record<string, string>, ipc: boolean) {
  return spawn('taskset', ['-c', cpus, process.execPath, ...args], {
    cwd: ROOT,
    env: { ...process.env, ...env },
    stdio: ['ignore', 'pipe', 'inherit', ...(ipc ? (['ipc'] as const) : [])],
  });
}

/** The embed stage as deployed: `akosha start --roles ingest` from source, pinned. */
export class IngestProcess {
  private constructor(
    private readonly child: ChildProcess,
    private readonly http: string,
  ) {}

  static async start(cpus: string, env: Record<string, string>): Promise<IngestProcess> {
    // BENCH_INGEST_NODE_ARGS: flags for its node, e.g. `--cpu-prof --cpu-prof-dir=/tmp/prof`
    const node = process.env.BENCH_INGEST_NODE_ARGS?.split(' ').filter(Boolean) ?? [];
    const args = [...node, join('bin', 'akosha-source.js'), 'start', '--roles', 'ingest'];
    const child = spawnPinned(cpus, args, { ...env, AKOSHA_LOG_LEVEL: 'info' }, false);
    process.once('exit', () => child.kill('SIGKILL'));
    try {
      return new IngestProcess(child, await startedAddress(child));
    } catch (err) {
      child.kill('SIGKILL');
      throw err;
    }
  }

  get pid(): number {
    return this.child.pid!;
  }

  /** Embedder calls so far, from the process's own metrics. */
  async embedCalls(): Promise<number> {
    const text = await (await fetch(`${this.http}/metrics`)).text();
    return text
      .split('\n')
      .filter((line) => line.startsWith('akosha_embed_duration_seconds_count'))
      .reduce((sum, line) => sum + Number(line.split(' ').pop()), 0);
  }

  async close(): Promise<void> {
    const done = exited(this.child);
    this.child.kill('SIGTERM');
    await done;
  }
}

/** Resolves with the probe listener's address once the process logs that it started. */
function startedAddress(child: ChildProcess): Promise<string> {
  return new Promise((resolve, reject) => {
    const lines = createInterface({ input: child.stdout! });
    lines.on('line', (line) => {
      if (!line.includes('akosha started')) return;
      const { http } = JSON.parse(line) as { http?: string };
      if (http) resolve(http.replace('0.0.0.0', '127.0.0.1'));
      else reject(new Error(`no address in: ${line}`));
    });
    child.once('exit', (code) => reject(new Error(`akosha ingest exited (${code})`)));
  });
}

/** The IPC messages of bench/embed-bare-process.ts. */
export type BareRequest =
  | { op: 'start'; env: Record<string, string>; texts: string[]; perCall: number; warmUp: number }
  | { op: 'run' }
  | { op: 'close' };

export type BareReply =
  | { op: 'ready'; tokens: number; workers: number }
  | { op: 'ran'; wallS: number; cpu: { process: number; main: number } }
  | { op: 'error'; message: string };

/** The bare pool in a pinned process of its own (bench/embed-bare-process.ts). */
export class BareProcess {
  private pending: ((reply: BareReply) => void) | undefined;

  private constructor(private readonly child: ChildProcess) {
    child.on('message', (reply: BareReply) => this.pending?.(reply));
  }

  static start(cpus: string): BareProcess {
    const args = ['-r', 'tsx/cjs', join('bench', 'embed-bare-process.ts')];
    const child = spawnPinned(cpus, args, {}, true);
    child.stdout?.resume();
    process.once('exit', () => child.kill('SIGKILL'));
    return new BareProcess(child);
  }

  get pid(): number {
    return this.child.pid!;
  }

  ask<T extends BareReply['op']>(
    req: BareRequest,
    expect: T,
  ): Promise<Extract<BareReply, { op: T }>> {
    return new Promise((resolve, reject) => {
      const gone = () => reject(new Error('the bare embedder process exited'));
      this.child.once('exit', gone);
      this.pending = (reply) => {
        this.child.off('exit', gone);
        if (reply.op === expect) resolve(reply as Extract<BareReply, { op: T }>);
        else reject(new Error(reply.op === 'error' ? reply.message : `unexpected ${reply.op}`));
      };
      this.child.send(req);
    });
  }

  async close(): Promise<void> {
    const done = exited(this.child);
    if (this.child.connected) this.child.send({ op: 'close' } satisfies BareRequest);
    else this.child.kill('SIGTERM');
    await done;
  }
}
