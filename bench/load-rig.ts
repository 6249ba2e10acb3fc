/**
 * The rig of bench/load.ts and bench/soak.ts: a nats-server of its own on an ephemeral port,
 * the topology applied, and the pipeline (`bin/akosha-source.js start`) as a separate process on a
 * temp data dir, so that its RSS and CPU are its own. Optional CPU pinning with taskset.
 */
import { spawn, spawnSync, type ChildProcess } from 'node:child_process';
import { createWriteStream, readFileSync } from 'node:fs';
import { join } from 'node:path';
import { jetstream, jetstreamManager, type JetStreamClient } from '@nats-io/jetstream';
import type { JetStreamManager } from '@nats-io/jetstream';
import { connect, type NatsConnection } from '@nats-io/transport-node';
import { loadConfig } from '../infra/config';
import { startNatsServer, stopProcess, type LocalNatsServer } from '../infra/nats-server';
import { applyTopology } from '../streams/apply';
import { tempDir } from './lib';

/** none: no pinning; generator: this process on CPU 0; split: this + nats on 0, pipeline on 1 */
export type PinMode = 'none' | 'generator' | 'split';

export interface Rig {
  nc: NatsConnection;
  js: JetStreamClient;
  jsm: JetStreamManager;
  server: LocalNatsServer;
  pipeline: ChildProcess;
  pipelinePid: number;
  dir: string;
  logFile: string;
  pinning: string;
  stop(): Promise<void>;
}

const hasTaskset = () => spawnSync('taskset', ['--version'], { stdio: 'ignore' }).status === 0;

/** Pins every thread of a running process to `cpus` (taskset -a -p). */
function pin(pid: number, cpus: string): void {
  spawnSync('taskset', ['-a', '-p', '-c', cpus, String(pid)], { stdio: 'ignore' });
}

function spawnPipeline(dir: string, natsUrl: string, cpus: string | undefined): ChildProcess {
  const node = [process.execPath, join(__dirname, '..', 'bin', 'akosha-source.js'), 'start'];
  const args = [...node, '--roles', process.env.BENCH_ROLES ?? 'ingest,writer'];
  const [cmd, ...rest] = cpus ? ['taskset', '-c', cpus, ...args] : args;
  const log = createWriteStream(join(dir, 'pipeline.log'));
  const child = spawn(cmd!, rest, {
    env: {
      ...process.env,
      AKOSHA_NATS_URL: natsUrl,
      AKOSHA_START_NATS: 'never',
      AKOSHA_DATA_DIR: join(dir, 'data'),
      AKOSHA_LOG_LEVEL: process.env.AKOSHA_LOG_LEVEL ?? 'warn',
      AKOSHA_HTTP_PORT: '0',
    },
    stdio: ['ignore', 'pipe', 'pipe'],
  });
  child.stdout?.pipe(log);
  child.stderr?.pipe(log);
  return child;
}

export async function startRig(label: string, pinMode: PinMode): Promise<Rig> {
  const mode = pinMode !== 'none' && !hasTaskset() ? 'none' : pinMode;
  const dir = tempDir(label);
  const server = await startNatsServer({ storeDir: join(dir, 'nats') });
  if (mode === 'split') pin(server.process.pid!, '0');
  const nc = await connect({ servers: server.url });
  await applyTopology(nc, loadConfig({}).streams);
  const pipeline = spawnPipeline(dir, server.url, mode === 'split' ? '1' : undefined);
  // last: children inherit the affinity of the process that starts them
  if (mode !== 'none') pin(process.pid, '0');
  // a benchmark that fails half-way leaves no pipeline or nats-server behind
  process.once('exit', () => {
    pipeline.kill('SIGKILL');
    server.process.kill('SIGKILL');
  });
  const pinning = {
    none: 'no CPU pinning (taskset ' + (hasTaskset() ? 'not asked for' : 'missing') + ')',
    generator: 'load generator pinned to CPU 0; nats-server and pipeline free on CPUs 0-1',
    split: 'load generator and nats-server pinned to CPU 0, pipeline to CPU 1',
  }[mode];
  return {
    nc,
    js: jetstream(nc),
    jsm: await jetstreamManager(nc),
    server,
    pipeline,
    pipelinePid: pipeline.pid!,
    dir,
    logFile: join(dir, 'pipeline.log'),
    pinning,
    stop: async () => {
      await stopProcess(pipeline);
      await nc.close();
      await server.stop();
    },
  };
}

/** Warnings and errors the pipeline logged (pino JSON lines), counted by message. */
export function logSummary(logFile: string): Map<string, number> {
  const counts = new Map<string, number>();
  for (const line of readFileSync(logFile, 'utf8').split('\n')) {
    let msg = line.trim().slice(0, 80); // not JSON: an uncaught error's stack, say
    try {
      msg = String((JSON.parse(line) as { msg?: string }).msg ?? '?');
    } catch {
      if (!msg) continue;
    }
    counts.set(msg, (counts.get(msg) ?? 0) + 1);
  }
  return counts;
}
