import { spawn, type ChildProcess } from 'node:child_process';
import { randomUUID } from 'node:crypto';
import { mkdtempSync, rmSync } from 'node:fs';
import { createConnection } from 'node:net';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { Redis } from 'ioredis';
import { freePort } from '../../faults/processes';
import { exited } from './processes';
import { waitFor } from './wait-for';

/** The machine's Redis; tests keep to their own key prefix there. */
export const TEST_REDIS_URL = process.env.AKOSHA_TEST_REDIS_URL ?? 'redis://127.0.0.1:6379';

export function uniquePrefix(): string {
  return `akosha-test:${process.pid}:${randomUUID()}`;
}

/** Every key under `<prefix>:`, for inspection and clean-up. */
export async function keysUnder(url: string, prefix: string): Promise<string[]> {
  const redis = new Redis(url, { lazyConnect: true });
  try {
    await redis.connect();
    const keys: string[] = [];
    for await (const batch of redis.scanStream({ match: `${prefix}:*`, count: 500 })) {
      keys.push(...(batch as string[]));
    }
    return keys;
  } finally {
    redis.disconnect();
  }
}

export async function deleteKeysUnder(url: string, prefix: string): Promise<void> {
  const keys = await keysUnder(url, prefix);
  if (keys.length === 0) return;
  const redis = new Redis(url);
  await redis.del(...keys);
  await redis.quit();
}

/** A redis-server of the test's own on 127.0.0.1, which the test may kill and start again. */
export class TestRedisServer {
  readonly dir = mkdtempSync(join(tmpdir(), 'akosha-redis-'));
  private child: ChildProcess | undefined;

  private constructor(
    readonly port: number,
    /** keep data across restarts (append-only file: written before each reply, so a killed process loses nothing) */
    private readonly persistent: boolean,
  ) {}

  static async start(opts: { persistent?: boolean } = {}): Promise<TestRedisServer> {
    const server = new TestRedisServer(await freePort(), opts.persistent ?? false);
    await server.restart();
    return server;
  }

  get url(): string {
    return `redis://127.0.0.1:${this.port}`;
  }

  /** Starts the server (again) on the same port and waits until it answers PING. */
  async restart(): Promise<void> {
    const persistence = this.persistent
      ? ['--appendonly', 'yes', '--appendfsync', 'no']
      : ['--appendonly', 'no'];
    const args = ['--port', String(this.port), '--bind', '127.0.0.1', '--save', ''];
    this.child = spawn('redis-server', [...args, ...persistence, '--dir', this.dir], {
      stdio: 'ignore',
    });
    await waitFor(() => ping(this.port), { timeoutMs: 10_000, what: 'redis-server' });
  }

  async kill(signal: NodeJS.Signals = 'SIGKILL'): Promise<void> {
    const child = this.child;
    if (!child) return;
    this.child = undefined;
    const done = exited(child);
    child.kill(signal);
    await done;
  }

  /** Stops the process without closing its sockets (SIGSTOP): connections stay up, unanswered. */
  freeze(): void {
    this.child?.kill('SIGSTOP');
  }

  /** Lets a frozen server run again (SIGCONT). */
  thaw(): void {
    this.child?.kill('SIGCONT');
  }

  async stop(): Promise<void> {
    await this.kill();
    rmSync(this.dir, { recursive: true, force: true });
  }
}

function ping(port: number): Promise<boolean> {
  return new Promise((resolve) => {
    const socket = createConnection({ host: '127.0.0.1', port });
    const done = (ok: boolean) => {
      socket.destroy();
      resolve(ok);
    };
    socket.setTimeout(500, () => done(false));
    socket.once('error', () => done(false));
    socket.once('data', (d) => done(d.toString().startsWith('+PONG')));
    socket.once('connect', () => socket.write('PING\r\n'));
  });
}
