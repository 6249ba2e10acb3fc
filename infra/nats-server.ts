import { spawn, spawnSync, type ChildProcess } from 'node:child_process';
import { mkdirSync, mkdtempSync, readFileSync, readdirSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join, resolve } from 'node:path';
import { PACKAGE_ROOT } from './entry-files';
import { localServerConf, type NatsSync } from './nats-sync';

export const NATS_CONF = resolve(PACKAGE_ROOT, 'nats.conf');

export interface LocalNatsServer {
  url: string;
  process: ChildProcess;
  /** started with `sync_interval: always` (asked for, and the installed server has it) */
  syncAlways: boolean;
  /** the last few KB the server wrote to stderr */
  stderr(): string;
  stop(): Promise<void>;
}

export function natsServerAvailable(): boolean {
  return spawnSync('nats-server', ['--version'], { stdio: 'ignore' }).status === 0;
}

/** `2.9.10` from `nats-server: v2.9.10`; `unknown` when it does not answer. */
export function localServerVersion(): string {
  const out = spawnSync('nats-server', ['--version'], { encoding: 'utf8' }).stdout ?? '';
  return /v?(\d+\.\d+\.\d+)/.exec(out)?.[1] ?? 'unknown';
}

/**
 * Starts nats-server with JetStream from nats.conf. `port: -1` picks a free port,
 * which the server reports in a ports file that we poll for.
 */
export async function startNatsServer(opts: {
  storeDir: string;
  port?: number;
  /** `always`: add `sync_interval: always` when the installed server accepts it */
  sync?: NatsSync;
}): Promise<LocalNatsServer> {
  mkdirSync(opts.storeDir, { recursive: true });
  const portsDir = mkdtempSync(join(tmpdir(), 'akosha-nats-ports-'));
  const { conf, syncAlways } = localServerConf(NATS_CONF, opts.sync ?? 'default');
  const confDir = mkdtempSync(join(tmpdir(), 'akosha-nats-conf-'));
  writeFileSync(join(confDir, 'nats.conf'), conf);
  const args = [
    '-c',
    join(confDir, 'nats.conf'),
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
  const url = await waitForPortsFile(portsDir, child, () => stderr).finally(() => {
    rmSync(portsDir, { recursive: true, force: true });
    rmSync(confDir, { recursive: true, force: true }); // read once, at start
  });
  return {
    url,
    process: child,
    syncAlways,
    stderr: () => stderr,
    stop: () => stopProcess(child),
  };
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
    const url = file ? natsUrlOf(readFileSync(join(dir, file), 'utf8')) : undefined;
    if (url) return url;
    await new Promise((r) => setTimeout(r, 20));
  }
  child.kill('SIGKILL');
  throw new Error(`nats-server did not start within 10 s: ${stderr()}`);
}

/** The client URL in a ports file; undefined while nats-server is still writing it. */
function natsUrlOf(text: string): string | undefined {
  try {
    return (JSON.parse(text) as { nats?: string[] }).nats?.[0];
  } catch {
    return undefined;
  }
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
