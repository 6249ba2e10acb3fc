import { spawn, type ChildProcess } from 'node:child_process';
import { join } from 'node:path';

/**
 * The pipeline as its own process (`akosha start --roles …` from source) on a nats-server the
 * bench started, its logs on the bench's stderr. BENCH_CPU_PROF=<dir> writes its CPU profile.
 */
export function spawnPipeline(
  natsUrl: string,
  dataDir: string,
  roles: string,
  env: Record<string, string> = {},
): ChildProcess {
  const profile = process.env.BENCH_CPU_PROF;
  const flags = profile ? ['--cpu-prof', `--cpu-prof-dir=${profile}`] : [];
  const entry = join(__dirname, '..', 'bin', 'akosha-source.js');
  return spawn(process.execPath, [...flags, entry, 'start', '--roles', roles], {
    env: {
      ...process.env,
      AKOSHA_NATS_URL: natsUrl,
      AKOSHA_START_NATS: 'never',
      AKOSHA_DATA_DIR: dataDir,
      AKOSHA_LOG_LEVEL: 'warn',
      ...env,
    },
    stdio: ['ignore', 'inherit', 'inherit'],
  });
}

/** Resolves once the child has exited (at once if it already has). */
export function exited(child: ChildProcess): Promise<void> {
  if (child.exitCode !== null || child.signalCode !== null) return Promise.resolve();
  return new Promise((resolve) => child.once('exit', () => resolve()));
}
