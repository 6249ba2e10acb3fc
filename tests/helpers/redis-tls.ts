import { spawn, type ChildProcess } from 'node:child_process';
import { mkdtempSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { connect } from 'node:tls';
import { freePort } from '../../faults/processes';
import { exited } from './processes';
import type { TestCa } from './tls';
import { waitFor } from './wait-for';

/** A redis-server of the test's own that speaks only TLS and wants a password. */
export interface TlsRedis {
  port: number;
  password: string;
  /** `rediss://127.0.0.1:<port>` (no password in it) */
  url: string;
  stop(): Promise<void>;
}

export async function startTlsRedis(ca: TestCa, password: string): Promise<TlsRedis> {
  const port = await freePort();
  const server = ca.server('redis');
  const dir = mkdtempSync(join(tmpdir(), 'akosha-redis-tls-'));
  const child: ChildProcess = spawn(
    'redis-server',
    [
      ...['--port', '0', '--tls-port', String(port), '--bind', '127.0.0.1'],
      ...['--tls-cert-file', server.cert, '--tls-key-file', server.key],
      ...['--tls-ca-cert-file', ca.cert, '--tls-auth-clients', 'no'],
      ...['--requirepass', password, '--save', '', '--appendonly', 'no', '--dir', dir],
    ],
    { stdio: 'ignore' },
  );
  await waitFor(() => tlsPing(port, ca.pem(), password), {
    timeoutMs: 10_000,
    what: 'redis-server over TLS',
  });
  return {
    port,
    password,
    url: `rediss://127.0.0.1:${port}`,
    async stop() {
      const done = exited(child);
      child.kill('SIGKILL');
      await done;
      rmSync(dir, { recursive: true, force: true });
    },
  };
}

/** AUTH and PING over a verified TLS connection: true once the server answers +PONG. */
function tlsPing(port: number, ca: string, password: string): Promise<boolean> {
  return new Promise((resolve) => {
    const socket = connect({ host: '127.0.0.1', port, ca });
    const done = (ok: boolean) => {
      socket.destroy();
      resolve(ok);
    };
    let seen = '';
    socket.setTimeout(500, () => done(false));
    socket.once('error', () => done(false));
    socket.on('data', (d: Buffer) => {
      seen += d.toString();
      if (seen.includes('+PONG')) done(true);
      else if (seen.includes('-')) done(false);
    });
    socket.once('secureConnect', () => socket.write(`AUTH ${password}\r\nPING\r\n`));
  });
}
