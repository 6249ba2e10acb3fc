import { LRUCache } from 'lru-cache';
import { type Logger, type Metrics, QUERY_CACHE_DEFAULTS } from '../infra';
import { ALL_SYSTEMS, requestHash, type CacheRequest } from './cache-key';
import { RedisLayer } from './cache-redis';

export interface QueryCacheOptions {
  /** off: every lookup misses, nothing is stored, Redis is not contacted */
  enabled: boolean;
  /** null: L1 only, nothing shared between processes */
  redisUrl: string | null;
  /** AUTH password, unless the URL carries one */
  redisPassword?: string;
  /** PEM file of the CA of a `rediss://` server's certificate; empty: the system's CAs */
  redisTlsCa?: string;
  l1Entries: number;
  /** L1 holds at most this many bytes of JSON text (default 64 MiB) */
  l1MaxBytes?: number;
  /** an answer whose JSON is longer is cached in neither layer (default 256 KiB) */
  maxEntryBytes?: number;
  /** lifetime of an entry in both layers (fractions allowed) */
  ttlSeconds: number;
  /** Redis key namespace; processes that share it share entries and invalidations */
  prefix?: string;
  /** bound on every Redis call (default 100 ms) */
  redisTimeoutMs?: number;
  log: Logger;
  metrics: Metrics;
}

/** The scope of a query: the system it is restricted to, or undefined for all systems. */
export type CacheScope = string | undefined;

/** Where one lookup reads and writes: keys carry the generations read at lookup time. */
interface Slot {
  l1Key: string;
  /** absent while Redis is unreachable or has not yet been told every local invalidation */
  l2Key: string | undefined;
}

/**
 * Two-layer cache of query responses (values must be JSON): L1 an in-process LRU, L2 Redis.
 *
 * Invalidation is by generation: every key holds the generation of its scope (a system, or
 * all systems) read at lookup time; invalidating S moves the counters of S and of the
 * all-systems scope on, so their older entries are never read again (they expire by TTL).
 * Each lookup reads its counter from Redis (one MGET, plus a GET on an L1 miss); L1 keys also
 * hold a local counter, bumped by `invalidate` before it touches Redis.
 *
 * Guarantees: once `await invalidate([S])` has returned in this process, no lookup here
 * returns an entry stored before it for a query scoped to S or to all systems, whether or
 * not Redis was reachable. Another process sharing the Redis sees the invalidation at its
 * next lookup that reads the counters from Redis; while it cannot reach Redis it serves
 * from its own L1 and sees only its own invalidations. An invalidation that could not reach
 * Redis is kept and pushed (INCR) on reconnection, before this process uses L2 again.
 */
export class QueryCache<T> {
  private readonly l1: LRUCache<string, string>; // JSON text, so L1 and L2 hits look alike
  private readonly redis: RedisLayer | undefined;
  private readonly ttlMs: number;
  private readonly maxEntryBytes: number;
  /** local generation per scope, bumped by every invalidate() here */
  private readonly localGens = new Map<string, number>();
  /** the last version Redis gave per scope, used while it is unreachable */
  private readonly lastVersion = new Map<string, string>();
  /** scope → local generation of an invalidation Redis has not confirmed yet */
  private readonly pending = new Map<string, number>();

  constructor(private readonly opts: QueryCacheOptions) {
    this.ttlMs = Math.max(1, Math.round(opts.ttlSeconds * 1000));
    this.maxEntryBytes = opts.maxEntryBytes ?? QUERY_CACHE_DEFAULTS.maxEntryBytes;
    this.l1 = new LRUCache({
      max: opts.l1Entries,
      maxSize: opts.l1MaxBytes ?? QUERY_CACHE_DEFAULTS.l1MaxBytes,
      sizeCalculation: textBytes,
      ttl: this.ttlMs,
    });
    if (opts.enabled && opts.redisUrl) {
      this.redis = new RedisLayer({
        url: opts.redisUrl,
        ...(opts.redisPassword && { password: opts.redisPassword }),
        ...(opts.redisTlsCa && { tlsCa: opts.redisTlsCa }),
        prefix: opts.prefix ?? QUERY_CACHE_DEFAULTS.prefix,
        timeoutMs: opts.redisTimeoutMs ?? 100,
        log: opts.log,
        metrics: opts.metrics,
        // Reconnected: push the invalidations Redis missed before this process reads L2 again
        // (slot() also waits for that); a Redis that lost its data gets a new random epoch.
        onReady: () => void this.pushPending(),
      });
    }
  }

  async get(request: CacheRequest, scope: CacheScope): Promise<T | undefined> {
    if (!this.opts.enabled) return undefined;
    return this.read(await this.slot(request, scope));
  }

  /**
   * Stores under the generations read now. When the value was computed from data read
   * earlier, prefer getOrCompute: an invalidation in between would otherwise be lost.
   */
  async set(request: CacheRequest, scope: CacheScope, value: T): Promise<void> {
    if (!this.opts.enabled) return;
    await this.write(await this.slot(request, scope), value);
  }

  /**
   * The cached value, or compute() stored under the generations read before it ran (unless
   * `keep` refuses it: a partial answer, say). `hit` tells which.
   */
  async getOrCompute(
    request: CacheRequest,
    scope: CacheScope,
    compute: () => Promise<T>,
    keep: (value: T) => boolean = () => true,
  ): Promise<{ value: T; hit: boolean }> {
    if (!this.opts.enabled) return { value: await compute(), hit: false };
    const slot = await this.slot(request, scope);
    const cached = await this.read(slot);
    if (cached !== undefined) return { value: cached, hit: true };
    const value = await compute();
    if (keep(value)) await this.write(slot, value);
    return { value, hit: false };
  }

  /** Makes entries scoped to these systems or to all systems stale; see the class comment. */
  async invalidate(systemIds: string[]): Promise<void> {
    if (!this.opts.enabled || systemIds.length === 0) return;
    const systems = [...new Set(systemIds)];
    for (const scope of [...systems, ALL_SYSTEMS]) {
      const generation = this.bumpLocal(scope);
      if (this.redis) this.pending.set(scope, generation);
    }
    this.opts.metrics.queryCacheInvalidations.inc(systems.length);
    await this.pushPending();
  }

  /** True when Redis answers and holds every invalidation made here (for readiness, tests). */
  async sync(): Promise<boolean> {
    if (!this.redis) return false;
    return (await this.pushPending()) && (await this.redis.ping());
  }

  async close(): Promise<void> {
    await this.redis?.close();
  }

  private async slot(request: CacheRequest, scope: CacheScope): Promise<Slot> {
    const hash = requestHash(request, scope);
    const scopeName = scope ?? ALL_SYSTEMS;
    const local = this.localGen(scopeName);
    const remote = await this.remoteVersion(scopeName);
    const version = remote ?? this.lastVersion.get(scopeName) ?? 'none';
    return {
      l1Key: `${hash}:${version}:${local}`,
      l2Key: remote === undefined ? undefined : this.redis?.entryKey(hash, remote),
    };
  }

  private async remoteVersion(scope: string): Promise<string | undefined> {
    if (!this.redis || !(await this.pushPending())) return undefined;
    const version = await this.redis.version(scope);
    if (version !== undefined) this.lastVersion.set(scope, version);
    return version;
  }

  private async read(slot: Slot): Promise<T | undefined> {
    const local = this.l1.get(slot.l1Key);
    this.count('l1', local !== undefined);
    if (local !== undefined) return JSON.parse(local) as T;
    const entry = slot.l2Key ? decodeEntry(await this.redis!.get(slot.l2Key)) : undefined;
    this.count('l2', entry !== undefined);
    if (!entry) return undefined;
    this.l1.set(slot.l1Key, entry.json, { ttl: entry.ttlMs });
    return JSON.parse(entry.json) as T;
  }

  private async write(slot: Slot, value: T): Promise<void> {
    const json = JSON.stringify(value) as string | undefined;
    if (json === undefined || Buffer.byteLength(json) > this.maxEntryBytes) return;
    this.l1.set(slot.l1Key, json);
    if (slot.l2Key) await this.redis!.set(slot.l2Key, encodeEntry(json, this.ttlMs), this.ttlMs);
  }

  /** INCRs what Redis missed; true when nothing is left to push. */
  private async pushPending(): Promise<boolean> {
    if (this.pending.size === 0) return true;
    const batch = [...this.pending];
    if (!(await this.redis!.bump(batch.map(([scope]) => scope)))) return false;
    // a scope invalidated again meanwhile stays: its newer bump may not have landed
    for (const [scope, generation] of batch) {
      if (this.pending.get(scope) === generation) this.pending.delete(scope);
    }
    return this.pending.size === 0;
  }

  private localGen(scope: string): number {
    return this.localGens.get(scope) ?? 0;
  }

  private bumpLocal(scope: string): number {
    const next = this.localGen(scope) + 1;
    this.localGens.set(scope, next);
    return next;
  }

  private count(layer: 'l1' | 'l2', hit: boolean): void {
    this.opts.metrics.queryCacheRequests.inc({ layer, outcome: hit ? 'hit' : 'miss' });
  }
}

/** Bytes a JS string takes, near enough (UTF-16): a bound on memory, not an exact count. */
const textBytes = (text: string) => Math.max(1, text.length * 2);

/** L2 text is `<expiry, ms since epoch>:<json>`, so an entry copied into L1 dies with it. */
function encodeEntry(json: string, ttlMs: number): string {
  return `${Date.now() + ttlMs}:${json}`;
}

function decodeEntry(text: string | null | undefined): { json: string; ttlMs: number } | undefined {
  const colon = text ? text.indexOf(':') : -1;
  if (!text || colon < 0) return undefined;
  const ttlMs = Number(text.slice(0, colon)) - Date.now();
  if (!(ttlMs >= 1)) return undefined;
  return { json: text.slice(colon + 1), ttlMs: Math.round(ttlMs) };
}
