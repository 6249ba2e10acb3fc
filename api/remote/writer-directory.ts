import { KvWatchInclude, type KV, type KvEntry } from '@nats-io/kv';
import type { NatsConnection } from '@nats-io/transport-node';
import { openLeaseBucket, writerToken } from '../../streams';
import type { Logger } from '../../infra';

/** A writer process as the query side addresses it. */
export interface WriterRef {
  /** its lease owner, `<host>:<hot dir>` */
  owner: string;
  /** the subject token of its query endpoints */
  token: string;
  /** every shard group it holds a live lease for */
  groups: number[];
}

interface Held {
  owner: string;
  revision: number;
  /** monotonic time until which the lease lives without a renewal */
  liveUntilMs: number;
}

const GROUP_KEY = /^group-(\d+)$/;

/**
 * The writer leases (KV bucket AKOSHA_WRITER_LEASES), kept current by a watch: which writer
 * holds which shard group now. A lease lives `ttlMs` after its last renewal (the bucket's
 * max_age), so an entry not renewed within that is dropped here as the server drops it.
 */
export class WriterDirectory {
  private readonly held = new Map<number, Held>();
  private readonly subjectTokens = new Map<string, string>();
  private stopWatch: (() => void) | undefined;

  private constructor(private readonly ttlMs: number) {}

  static async open(nc: NatsConnection, ttlMs: number, log: Logger): Promise<WriterDirectory> {
    const bucket = await openLeaseBucket(nc, ttlMs, log);
    const directory = new WriterDirectory(bucket.ttlMs);
    await directory.follow(bucket.kv, log);
    return directory;
  }

  /** Updates first (none is missed), then what the bucket holds now. */
  private async follow(kv: KV, log: Logger): Promise<void> {
    const updates = await kv.watch({ include: KvWatchInclude.UpdatesOnly });
    this.stopWatch = () => updates.stop();
    void (async () => {
      for await (const entry of updates) this.note(entry);
    })().catch((err: unknown) => log.warn({ err }, 'writer lease watch ended'));
    for await (const key of await kv.keys()) {
      const entry = await kv.get(key);
      if (entry) this.note(entry);
    }
  }

  private note(entry: KvEntry): void {
    const group = Number(GROUP_KEY.exec(entry.key)?.[1] ?? NaN);
    if (!Number.isInteger(group)) return;
    const known = this.held.get(group);
    if (known && known.revision >= entry.revision) return;
    if (entry.operation !== 'PUT') return void this.held.delete(group);
    const ageMs = Math.min(Math.max(Date.now() - entry.created.getTime(), 0), this.ttlMs);
    const liveUntilMs = performance.now() + this.ttlMs - ageMs;
    this.held.set(group, { owner: entry.string(), revision: entry.revision, liveUntilMs });
  }

  /** The owner of a group's live lease at `nowMs` (monotonic). */
  ownerOf(group: number, nowMs = performance.now()): string | undefined {
    const held = this.held.get(group);
    return held && held.liveUntilMs > nowMs ? held.owner : undefined;
  }

  /** The writers holding any of `groups`, each once, and the groups no live lease covers. */
  route(groups: Iterable<number>): { writers: WriterRef[]; unheld: number[] } {
    const nowMs = performance.now();
    const owners = new Set<string>();
    const unheld: number[] = [];
    for (const group of groups) {
      const owner = this.ownerOf(group, nowMs);
      if (owner === undefined) unheld.push(group);
      else owners.add(owner);
    }
    return { writers: [...owners].map((owner) => this.writer(owner, nowMs)), unheld };
  }

  /** Whether any writer holds a live lease now. */
  hasWriters(): boolean {
    const nowMs = performance.now();
    for (const group of this.held.keys()) if (this.ownerOf(group, nowMs) !== undefined) return true;
    return false;
  }

  private writer(owner: string, nowMs: number): WriterRef {
    const groups = [...this.held.keys()].filter((g) => this.ownerOf(g, nowMs) === owner);
    return { owner, token: this.tokenOf(owner), groups: groups.sort((a, b) => a - b) };
  }

  /** A hash per owner (a few writer processes), computed once: asked for every query. */
  private tokenOf(owner: string): string {
    const known = this.subjectTokens.get(owner);
    if (known !== undefined) return known;
    const hashed = writerToken(owner);
    this.subjectTokens.set(owner, hashed);
    return hashed;
  }

  stop(): void {
    this.stopWatch?.();
    this.stopWatch = undefined;
  }
}
