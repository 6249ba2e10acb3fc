import { spawn, type ChildProcess } from 'node:child_process';
import { mkdirSync, mkdtempSync, readFileSync, readdirSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { stopProcess } from '../../infra/nats-server';
import { waitFor } from '../helpers/wait-for';

const NATS_SERVER = '/usr/sbin/nats-server';

export interface ConfServer {
  /** nats://127.0.0.1:<port> */
  url: string;
  /** the directory of nats.conf: `include` paths in `body` are relative to it */
  dir: string;
  process: ChildProcess;
  /** SIGHUP: the server reads its configuration (and auth.conf) again */
  reload(): void;
  stop(): Promise<void>;
}

/**
 * A real nats-server with JetStream, started from a config whose body the test gives
 * (authorization, include, tls), on an ephemeral loopback port with a temp store.
 * `prepare` writes files beside nats.conf before the server reads it.
 */
export async function startConfServer(
  body: string,
  prepare: (dir: string) => void = () => undefined,
): Promise<ConfServer> {
  const dir = mkdtempSync(join(tmpdir(), 'akosha-nats-auth-'));
  const portsDir = join(dir, 'ports');
  mkdirSync(portsDir);
  prepare(dir);
  const confFile = join(dir, 'nats.conf');
  writeFileSync(
    confFile,
    `host: 127.0.0.1\nport: -1\nports_file_dir: "${portsDir}"\n` +
      `jetstream { store_dir: "${join(dir, 'js')}" }\n${body}\n`,
  );
  const child = spawn(NATS_SERVER, ['-c', confFile], { stdio: ['ignore', 'ignore', 'pipe'] });
  let stderr = '';
  child.stderr?.on('data', (d: Buffer) => (stderr = (stderr + d.toString()).slice(-4000)));
  const stop = async () => {
    await stopProcess(child);
    rmSync(dir, { recursive: true, force: true });
  };
  try {
    const url = await waitFor(() => clientUrl(portsDir, child, () => stderr), {
      timeoutMs: 15_000,
      what: 'nats-server ports file',
    });
    return { url: url!, dir, process: child, reload: () => child.kill('SIGHUP'), stop };
  } catch (err) {
    await stop();
    throw err;
  }
}

function clientUrl(portsDir: string, child: ChildProcess, stderr: () => string) {
  if (child.exitCode !== null) throw new Error(`nats-server exited: ${stderr()}`);
  const file = readdirSync(portsDir).find((f) => f.endsWith('.ports'));
  if (!file) return undefined;
  try {
    const ports = JSON.parse(readFileSync(join(portsDir, file), 'utf8')) as { nats?: string[] };
    // a TLS server reports tls://; the client URL stays nats://, TLS comes from the options
    return ports.nats?.[0]?.replace(/^tls:/, 'nats:');
  } catch {
    return undefined; // still being written
  }
}
