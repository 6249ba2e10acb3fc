import { spawn, spawnSync, type ChildProcess } from 'node:child_process';
import { mkdirSync, mkdtempSync, readFileSync, readdirSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join, resolve } from 'node:path';

export const NATS_CONF = resolve(__dirname, '..', 'nats.conf');

export interface LocalNatsServer {
  url: string;
  process: ChildProcess;
  stop(): Promise<void>;
}

export function natsServerAvailable(): boolean {
  return spawnSync('nats-server', ['--version'], { stdio: 'ignore' }).status === 0;
}

/**
 * Starts nats-server with JetStream from nats.conf. `port: -1` picks a free port,
 * which the server reports in a ports file that we poll for.
 */
export async function startNatsServer(opts: {
  storeDir: string;
  port?: number;
}): Promise<LocalNatsServer> {
  mkdirSync(opts.storeDir, { recursive: true });
  const portsDir = mkdtempSync(join(tmpdir(), 'akosha-nats-ports-'));
  const args = [
    '-c',
    NATS_CONF,
    '-js',
    '-sd',
    opts.storeDir,
    '-p',
    String(opts.port ?? -1),
    '--ports_file_dir',
    portsDir,
  ];
  const child = spawn('nats-server', args, { stdio: ['ignore', 'ignore', 'pipe'] });
  let stderr = '';
  child.stderr?.on('data', (d: Buffer) => (stderr = (stderr + d.toString()).slice(-4000)));
  const url = await waitForPortsFile(portsDir, child, () => stderr).finally(() =>
    rmSync(portsDir, { recursive: true, force: true }),
  );
  return { url, process: child, stop: () => stopProcess(child) };
}

async function waitForPortsFile(
  dir: string,
  child: ChildProcess,
  stderr: () => string,
): Promise<string> {
  const deadline = Date.now() + 10_000;
  while (Date.now() < deadline) {
    if (child.exitCode !== null)
      throw new Error(`nats-server exited (${child.exitCode}): ${stderr()}`);
    const file = readdirSync(dir).find((f) => f.endsWith('.ports'));
    if (file) {
      const ports = JSON.parse(readFileSync(join(dir, file), 'utf8')) as { nats: string[] };
      if (ports.nats[0]) return ports.nats[0];
    }
    await new Promise((r) => setTimeout(r, 20));
  }
  child.kill('SIGKILL');
  throw new Error(`nats-server did not start within 10 s: ${stderr()}`);
}

export function stopProcess(
  child: ChildProcess,
  signal: NodeJS.Signals = 'SIGTERM',
): Promise<void> {
  if (child.exitCode !== null || child.signalCode !== null) return Promise.resolve();
  return new Promise((resolveStop) => {
    child.once('exit', () => resolveStop());
    child.kill(signal);
  });
}
