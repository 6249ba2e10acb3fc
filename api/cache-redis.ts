import { randomUUID } from 'node:crypto';
import { Redis, type RedisOptions } from 'ioredis';
import { explainCertError, type Logger, type Metrics, readPemFile } from '../infra';
import { ALL_SYSTEMS } from './cache-key';
import { withLoopTimeout, withTimeout } from './timeout';

export interface RedisLayerOptions {
  /** `redis://` or `rediss://` (TLS); a password in it is used but never logged */
  url: string;
  /** AUTH password, unless the URL carries one */
  password?: string;
  /** PEM file of the CA that signed the server's certificate (`rediss://`); else the system's */
  tlsCa?: string;
  /** key namespace: `<prefix>:epoch`, `<prefix>:gen:*`, `<prefix>:gen:sys:<id>`, `<prefix>:e:…` */
  prefix: string;
  /** bound on every call; past it the call counts as failed */
  timeoutMs: number;
  log: Logger;
  metrics: Metrics;
  /** called on every (re)connection */
  onReady: () => void;
}

/** After a failure Redis is left alone this long (L1 only), unless it reconnects first. */
const PROBE_INTERVAL_MS = 1000;
/**
 * ioredis's own bound on a command, this many times ours: it only drops a command the server
 * never answered (ours, withLoopTimeout, tells a blocked event loop apart from a slow Redis).
 */
const BACKSTOP_FACTOR = 20;

/**
 * The query cache's L2 and its generation counters. Never throws and never waits longer
 * than the timeout, counted while the event loop runs (a process that blocked its own loop
 * does not blame Redis): a failed call answers `undefined` and the caller carries on from L1.
 * Reconnects in the background forever; logs once per outage. Generation keys have no TTL
 * and must not be evicted (maxmemory-policy noeviction or volatile-*; entries have a TTL).
 */
export class RedisLayer {
  private readonly redis: Redis;
  private down = false;
  private closing = false;
  private probeAfter = 0;

  constructor(private readonly opts: RedisLayerOptions) {
    this.redis = new Redis(opts.url, {
      ...connectionSecrets(opts),
      lazyConnect: true,
      enableOfflineQueue: false, // fail at once while disconnected instead of queueing
      maxRetriesPerRequest: 0,
      autoResendUnfulfilledCommands: false,
      connectTimeout: 1000,
      disconnectTimeout: 200, // ioredis's own timer on close; its default 2 s outlives close()
      commandTimeout: opts.timeoutMs * BACKSTOP_FACTOR,
      retryStrategy: (times) => Math.min(50 * times, 1000),
    });
    this.redis.on('error', (err: Error) => this.failed('connect', err));
    this.redis.on('close', () => this.closing || this.markDown('connect', 'connection lost'));
    this.redis.on('ready', () => {
      this.recovered();
      opts.onReady();
    });
    this.redis.connect().catch(() => undefined); // reported through the 'error' event
  }

  entryKey(hash: string, version: string): string {
    return `${this.opts.prefix}:e:${hash}:${version}`;
  }

  /**
   * `<epoch>.<generation of the scope>` as Redis has them now. The epoch is a random id
   * created whenever Redis has none (first use, restart without data, flush), so versions
   * never repeat even when the counters start again from zero.
   */
  async version(scope: string): Promise<string | undefined> {
    const keys = [this.epochKey(), this.genKey(scope)];
    let values = await this.call('read_gens', (r) => r.mget(keys));
    if (values && values[0] === null) {
      await this.call('epoch', (r) => r.set(this.epochKey(), randomUUID(), 'NX'));
      values = await this.call('read_gens', (r) => r.mget(keys));
    }
    if (!values || values[0] === null) return undefined;
    return values.map((v) => v ?? '0').join('.');
  }

  /** INCR the generations of these scopes in one transaction; true once Redis confirmed. */
  async bump(scopes: string[]): Promise<boolean> {
    const replies = await this.call('invalidate', (r) => {
      const tx = r.multi();
      for (const scope of scopes) tx.incr(this.genKey(scope));
      return tx.exec();
    });
    return Boolean(replies) && replies!.every(([err]) => !err);
  }

  /** The stored text, null when absent, undefined when Redis could not answer. */
  async get(key: string): Promise<string | null | undefined> {
    return this.call('get', (r) => r.get(key));
  }

  async set(key: string, value: string, ttlMs: number): Promise<void> {
    await this.call('set', (r) => r.set(key, value, 'PX', ttlMs));
  }

  async ping(): Promise<boolean> {
    return (await this.call('ping', (r) => r.ping())) === 'PONG';
  }

  /** QUIT, or drop the connection when Redis does not answer; stops reconnecting. */
  async close(): Promise<void> {
    this.closing = true;
    if (this.redis.status === 'ready') {
      try {
        await withTimeout(this.redis.quit(), this.opts.timeoutMs * 10);
        return;
      } catch {
        // fall through: drop the connection
      }
    }
    this.redis.disconnect();
  }

  private epochKey(): string {
    return `${this.opts.prefix}:epoch`;
  }

  private genKey(scope: string): string {
    return scope === ALL_SYSTEMS
      ? `${this.opts.prefix}:gen:*`
      : `${this.opts.prefix}:gen:sys:${scope}`;
  }

  private async call<R>(op: string, fn: (redis: Redis) => Promise<R>): Promise<R | undefined> {
    if (this.redis.status !== 'ready' || Date.now() < this.probeAfter) {
      if (this.down) this.opts.metrics.queryCacheErrors.inc({ op }); // skipped: Redis is down
      return undefined;
    }
    try {
      const result = await withLoopTimeout(fn(this.redis), this.opts.timeoutMs);
      this.recovered();
      return result;
    } catch (err) {
      this.failed(op, err as Error);
      return undefined;
    }
  }

  private failed(op: string, err: Error): void {
    this.opts.metrics.queryCacheErrors.inc({ op });
    this.probeAfter = Date.now() + PROBE_INTERVAL_MS;
    this.markDown(op, explainCertError(err, 'AKOSHA_REDIS_TLS_CA') ?? err.message);
  }

  private markDown(op: string, reason: string): void {
    if (this.down) return;
    this.down = true;
    this.opts.log.warn(
      { op, redis: redactedUrl(this.opts.url), err: reason },
      'query cache: Redis unreachable, serving from L1 only',
    );
  }

  private recovered(): void {
    this.probeAfter = 0;
    if (!this.down) return;
    this.down = false;
    this.opts.log.info('query cache: Redis reachable again');
  }
}

/**
 * The password (unless the URL has one) and, for `rediss://`, the CA to verify the server
 * against. Certificate checks stay on; the CA file is read now, so a wrong path fails at start.
 */
function connectionSecrets(opts: RedisLayerOptions): RedisOptions {
  const options: RedisOptions = {};
  if (opts.password) options.password = opts.password;
  if (opts.url.startsWith('rediss://') && opts.tlsCa) {
    options.tls = { ca: readPemFile('AKOSHA_REDIS_TLS_CA', opts.tlsCa) };
  }
  return options;
}

/** The URL as it may be logged: credentials masked, query parameters (`?password=`) dropped. */
export function redactedUrl(url: string): string {
  try {
    const { protocol, username, password, host, pathname } = new URL(url);
    const credentials = username || password ? '***@' : '';
    return `${protocol}//${credentials}${host}${pathname === '/' ? '' : pathname}`;
  } catch {
    return '(unparsable Redis URL)';
  }
}
