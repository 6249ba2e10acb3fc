import { mkdir, open, readdir, rename, rm } from 'node:fs/promises';
import { availableParallelism } from 'node:os';
import { basename, dirname, join } from 'node:path';
import { MetricKind, ScalarKind, type IndexConfig } from 'usearch';
import { EMBEDDING_DIM } from '../../schemas';
import { usearchKeyOf } from './keys';
import { PointFile } from './point-file';
import { dot, PointStore, type PointSnapshot } from './point-store';
import { savedSlotCount, slotsLoadable } from './usearch-slots';
import { newGraph, type Graph } from './graph';
import { sha256InWorker } from './file-hash';
import {
  fileSize,
  readSidecar,
  SidecarError,
  sidecarPath,
  writeSidecar,
  type SidecarLayout,
} from './usearch-sidecar';
import {
  compileFilter,
  recordKeyString,
  validateLimit,
  type CompiledFilter,
  type IndexHit,
  type IndexPoint,
  type IndexSearchOptions,
  type PointPayload,
  type RecordKey,
  type VectorIndex,
} from './types';
import { HOT_INDEX_DEFAULTS } from '../../infra';

export interface UsearchIndexOptions {
  dimensions?: number | undefined;
  /** HNSW M (edges per node); default 16 */
  connectivity?: number | undefined;
  /** ef at build time; default 128 */
  expansionAdd?: number | undefined;
  /**
   * ef at query time: a number, or `auto` (efForSize of the points at each search). Default
   * HOT_INDEX_DEFAULTS (infra/defaults.ts).
   */
  expansionSearch?: number | 'auto' | undefined;
  /**
   * How the graph stores vectors: `f32`, or `i8` (a quarter of the memory traffic: about twice
   * as fast to build and to search). Either way the graph's candidates are re-ranked by exact
   * cosine over the kept float vectors, so quantisation does not reorder the results. Default
   * HOT_INDEX_DEFAULTS (infra/defaults.ts).
   */
  quantization?: 'f32' | 'i8' | undefined;
  /**
   * Threads of every add and of batched searches (0 = every core). Every add passes the same
   * count: usearch reserves that many thread contexts when an add grows the index, and a later
   * parallel add or search with more threads than contexts fails.
   */
  threads?: number | undefined;
  /**
   * The graph on a worker thread of its own at nice HOT_INDEX_DEFAULTS.graphNice (GraphThread):
   * its adds no longer hold the event loop and yield the cores to it, and it searches while the
   * event loop serves requests, at the price of a hand-off per group of searches. `auto`: where
   * the process may run on two cores or more. Default HOT_INDEX_DEFAULTS.graphThread.
   */
  graphThread?: boolean | 'auto' | undefined;
  /**
   * Filtered search: when at most this many points pass the filter, they are ranked exactly
   * (dot products over the kept vectors) instead of over-fetching from the graph. Default 2048.
   */
  exactThreshold?: number | undefined;
  /**
   * Filtered search through the graph starts with k = max(limit × 4, overFetch × limit ×
   * points / candidates). Default 2.
   */
  overFetch?: number | undefined;
  /**
   * Staged points (`stage`) the background build may lag behind by; each search ranks them
   * exactly meanwhile. Default HOT_INDEX_DEFAULTS.stagedMax.
   */
  stagedMax?: number | undefined;
  /** where `save()` writes; `shard-NNN.usearch` next to the shard's DuckDB file */
  path?: string | undefined;
  /** `load` (read-write, in memory) or `view` (memory-mapped, read-only) */
  mode?: 'load' | 'view' | undefined;
  /**
   * Bytes of the saved points' file held in memory, their extras first, then vectors
   * (PointFile.loadResident), loaded in the background after an open or a save; the rest is
   * read in place. Default HOT_INDEX_DEFAULTS (infra/defaults.ts); 0: all read in place.
   */
  residentBytes?: number | undefined;
}

export type RebuildSource = () => AsyncIterable<IndexPoint[]>;

export interface OpenOrRebuildOptions extends UsearchIndexOptions {
  /** The number of records the source holds: an index file that disagrees is rebuilt. */
  expectedCount?: (() => Promise<number>) | undefined;
  /**
   * `keySetFingerprint` of the source's keys: catches what a count cannot (as many records
   * removed as added since the file was saved). Costs one pass over the source's keys.
   */
  expectedFingerprint?: (() => Promise<bigint>) | undefined;
}

export interface OpenResult {
  index: UsearchIndex;
  rebuilt: boolean;
  /** why the file was not used */
  reason?: string;
}

/** The index file is missing, cut, altered or does not fit: rebuild it. */
export class IndexFileError extends Error {
  override name = 'IndexFileError';
}

/** `<dir>/shard-NNN.usearch` (its sidecar is `shard-NNN.usearch.meta`). */
export const shardIndexPath = (dir: string, shard: number) =>
  join(dir, `shard-${String(shard).padStart(3, '0')}.usearch`);

/** The options' defaults; ef at query time and quantisation are the hot index settings'. */
export const USEARCH_DEFAULTS = {
  connectivity: 16,
  expansionAdd: 128,
  expansionSearch: HOT_INDEX_DEFAULTS.expansionSearch,
  quantization: HOT_INDEX_DEFAULTS.quantization,
  threads: 0,
  graphThread: HOT_INDEX_DEFAULTS.graphThread,
  exactThreshold: 2048,
  overFetch: 2,
  residentBytes: HOT_INDEX_DEFAULTS.residentMiB * 2 ** 20,
  stagedMax: HOT_INDEX_DEFAULTS.stagedMax,
};

/**
 * An embedded HNSW index (usearch, cosine) for one hot shard. Keys are 64-bit hashes of
 * `(system_id, id)`; payloads and vectors are kept beside the graph (`PointStore`) for
 * filters, for mapping hits back and for exact ranking of small filtered sets.
 *
 * The graph (Graph) is native work on the event loop's thread, or on a thread of its own
 * (`graphThread`): a top-10 search takes about a millisecond at 1M points, a point's add a
 * fraction of one. Changes and saves run one at a time, so that the graph and the points kept
 * beside it agree whenever a save looks at both.
 */
export class UsearchIndex implements VectorIndex {
  private closed = false;
  private closing = false;
  /** staged points (`stage`) the graph does not hold yet: searches rank them exactly */
  private readonly unindexed = new Set<bigint>();
  /** the background loop adding them to the graph, while it runs */
  private building: Promise<void> | undefined;
  private buildError: unknown;
  private saving: Promise<void> = Promise.resolve();
  /** the change being made (upsert, remove, save): the next waits for it */
  private changing: Promise<unknown> = Promise.resolve();

  private constructor(
    private graph: Graph,
    private readonly store: PointStore,
    private readonly opts: Resolved,
    /** the marks the loaded file was saved with (`save(marksOf)`); undefined: none */
    readonly savedMarks?: Record<string, string> | undefined,
  ) {}

  /** A new, empty index in memory. */
  static create(options: UsearchIndexOptions = {}): UsearchIndex {
    const opts = resolve(options);
    return new UsearchIndex(graphOf(opts), new PointStore(opts.dimensions), {
      ...opts,
      mode: 'load',
    });
  }

  /** Opens a saved index; throws IndexFileError when the file or its sidecar cannot be used. */
  static async open(path: string, options: UsearchIndexOptions = {}): Promise<UsearchIndex> {
    const opts = { ...resolve(options), path };
    // the usearch file is hashed (on a worker thread) while the sidecar is read
    const indexSha256 = sha256InWorker(path).catch(() => undefined);
    const side = await readSidecar(sidecarPath(path)).catch((err: unknown) => {
      throw err instanceof SidecarError ? new IndexFileError(err.message) : err;
    });
    const h = side.header;
    const cols = side.columns;
    if (h.dimensions !== opts.dimensions) {
      throw new IndexFileError(`index has ${h.dimensions} dimensions, expected ${opts.dimensions}`);
    }
    if ((h.quantization ?? 'f32') !== opts.quantization) {
      throw new IndexFileError(
        `index stores ${h.quantization ?? 'f32'}, configured ${opts.quantization}`,
      );
    }
    await verifyIndexFile(path, h.index_bytes, h.index_sha256, indexSha256);
    const slots = await savedSlotCount(path);
    if (!slotsLoadable(slots, h.count)) {
      throw new IndexFileError(`index holds ${slots - h.count} removed slots beside ${h.count}`);
    }
    const graph = graphOf(opts);
    try {
      await readGraph(graph, path, opts, h.count, cols.keys);
    } catch (err) {
      await graph.close();
      throw err;
    }
    const file = openPointFile(path, opts, cols.extraBytes, side.layout);
    const store = PointStore.fromColumns(opts.dimensions, cols, file);
    return new UsearchIndex(graph, store, opts, h.marks);
  }

  /**
   * Opens the saved index, or rebuilds it from the source (and saves it) when the file is
   * missing, corrupt, or stale: another number of points than `expectedCount` reports, or
   * other keys than `expectedFingerprint` says. A rebuilt index is in memory (mode `load`).
   * Errors other than an unusable file (the source failing, say) are thrown.
   */
  static async openOrRebuild(
    path: string,
    rebuildFrom: RebuildSource,
    options: OpenOrRebuildOptions = {},
  ): Promise<OpenResult> {
    const { expectedCount, expectedFingerprint, ...indexOptions } = options;
    let reason: string;
    try {
      const index = await UsearchIndex.open(path, indexOptions);
      const stale = await staleness(index, expectedCount, expectedFingerprint).catch(
        async (err: unknown) => {
          await index.close();
          throw err;
        },
      );
      if (stale === undefined) return { index, rebuilt: false };
      reason = stale;
      await index.close();
    } catch (err) {
      if (!(err instanceof IndexFileError)) throw err;
      reason = err.message;
    }
    const index = UsearchIndex.create({ ...indexOptions, path, mode: 'load' });
    for await (const batch of rebuildFrom()) await index.upsert(batch);
    await index.save();
    return { index, rebuilt: true, reason };
  }

  get path(): string | undefined {
    return this.opts.path;
  }

  upsert(points: IndexPoint[]): Promise<void> {
    return this.change(async () => {
      this.assertWritable();
      const batch = this.validBatch(points);
      if (batch.size === 0) return;
      const keys = BigUint64Array.from(batch.keys());
      await this.removeFromGraph(keys);
      const d = this.opts.dimensions;
      const flat = new Float32Array(keys.length * d);
      let i = 0;
      for (const p of batch.values()) flat.set(p.vector, d * i++);
      try {
        await this.graph.add(keys, flat, this.opts.threads);
      } catch (err) {
        await this.reconcile(keys, batch);
        throw err;
      }
      for (const [key, p] of batch) this.store.put(key, p.payload, p.vector, extraBytes(p));
      for (const key of keys) this.unindexed.delete(key);
    });
  }

  /**
   * `upsert` for bulk loads: the points are kept and searchable at once, ranked exactly until
   * the graph holds them, and a background loop adds them to the graph a slice per change,
   * so that live upserts and saves take turns with it. Past `stagedMax` points waiting, a
   * stage adds slices itself first: the exact ranking of the waiting points, which every
   * search pays, stays bounded. The points' vectors are kept as given: the caller must not
   * write to them afterwards.
   */
  async stage(points: IndexPoint[]): Promise<void> {
    const cap = Math.max(0, this.opts.stagedMax - points.length);
    while (this.unindexed.size > cap) await this.change(() => this.addUnindexed(BUILD_SLICE));
    await this.change(async () => {
      this.assertWritable();
      const batch = this.validBatch(points);
      await this.removeFromGraph(BigUint64Array.from(batch.keys()));
      for (const [key, p] of batch) {
        // not copied: fresh memory costs a page fault per 4 KB (~4 µs a vector on a VM)
        this.store.put(key, p.payload, p.vector, extraBytes(p), true);
        this.unindexed.add(key);
      }
    });
    // after the caller's next stages: a build slice started now would queue before them
    setImmediate(() => this.buildInBackground());
  }

  /** Staged points the graph does not hold yet. */
  get waiting(): number {
    return this.unindexed.size;
  }

  /** Resolves once the graph holds every staged point; rejects when adding them failed. */
  async built(): Promise<void> {
    this.buildInBackground(); // again, after a loop that failed
    while (this.building) await this.building;
    if (this.unindexed.size > 0 && !this.closing)
      throw this.buildError ?? new Error('staged points are not in the graph yet');
  }

  private buildInBackground(): void {
    if (this.building || this.unindexed.size === 0 || this.closing) return;
    this.buildError = undefined;
    // cleared in a reaction, so always after it is set (the loop may end without awaiting)
    this.building = this.buildLoop().finally(() => {
      this.building = undefined;
    });
  }

  private async buildLoop(): Promise<void> {
    try {
      while (this.unindexed.size > 0 && !this.closing)
        await this.change(() => this.addUnindexed(BUILD_SLICE));
    } catch (err) {
      this.buildError = err; // the points stay staged: the next stage or save tries again
    }
  }

  /** Adds up to `max` staged points to the graph (in a change). */
  private async addUnindexed(max: number): Promise<void> {
    this.assertOpen();
    const keys: bigint[] = [];
    for (const key of this.unindexed) {
      if (keys.length === max) break;
      keys.push(key);
    }
    if (keys.length === 0) return;
    const slice = BigUint64Array.from(keys);
    try {
      await this.graph.add(slice, this.store.vectorsOf(keys), this.opts.threads);
    } catch (err) {
      const present = await this.graph.contains(slice);
      keys.forEach((key, i) => present[i] && this.unindexed.delete(key));
      throw err;
    }
    for (const key of keys) this.unindexed.delete(key);
  }

  /** The points of `keys` that the graph holds, removed from it (not from the store). */
  private async removeFromGraph(keys: BigUint64Array): Promise<void> {
    const inGraph = keys.filter((k) => this.store.has(k) && !this.unindexed.has(k));
    if (inGraph.length > 0) await this.graph.remove(inGraph);
  }

  private validBatch(points: IndexPoint[]): Map<bigint, IndexPoint> {
    const batch = new Map<bigint, IndexPoint>();
    for (const p of points) {
      const key = usearchKeyOf(p.key);
      this.validatePoint(p, key);
      batch.set(key, p);
    }
    return batch;
  }

  /** Runs changes one at a time, in the order they were asked for. */
  private change<T>(run: () => Promise<T>): Promise<T> {
    const next = this.changing.then(run);
    this.changing = next.catch(() => undefined);
    return next;
  }

  /** After a failed batch add: keep what usearch holds, forget what it does not. */
  private async reconcile(keys: BigUint64Array, batch: Map<bigint, IndexPoint>): Promise<void> {
    const present = await this.graph.contains(keys);
    keys.forEach((key, i) => {
      const p = batch.get(key)!;
      if (present[i]) this.store.put(key, p.payload, p.vector, extraBytes(p));
      else this.store.delete(key);
      this.unindexed.delete(key);
    });
  }

  private validatePoint(p: IndexPoint, key: bigint): void {
    const d = this.opts.dimensions;
    if (p.vector.length !== d)
      throw new Error(`vector has ${p.vector.length} dimensions, not ${d}`);
    for (let i = 0; i < d; i++) {
      if (!Number.isFinite(p.vector[i]))
        throw new Error(`vector of ${recordKeyString(p.key)} is not finite`);
    }
    if (p.payload.system_id !== p.key.system_id || p.payload.id !== p.key.id) {
      throw new Error(`payload of ${recordKeyString(p.key)} names another record`);
    }
    const prior = this.store.recordKeyOf(key);
    if (prior && (prior.system_id !== p.key.system_id || prior.id !== p.key.id)) {
      throw new Error(
        `64-bit key collision between ${recordKeyString(p.key)} and ${recordKeyString(prior)}`,
      );
    }
  }

  remove(keys: RecordKey[]): Promise<void> {
    return this.change(async () => {
      this.assertWritable();
      const present = [...new Set(keys.map(usearchKeyOf))].filter((k) => this.store.has(k));
      if (present.length === 0) return;
      await this.removeFromGraph(BigUint64Array.from(present));
      for (const k of present) {
        this.store.delete(k);
        this.unindexed.delete(k);
      }
    });
  }

  async search(query: Float32Array, opts: IndexSearchOptions): Promise<IndexHit[]> {
    this.assertOpen();
    const limit = validateLimit(opts.limit);
    if (query.length !== this.opts.dimensions) {
      throw new Error(`query has ${query.length} dimensions, not ${this.opts.dimensions}`);
    }
    if (this.store.size === 0) return [];
    const filter = compileFilter(opts.filter);
    // ranked before the graph is asked: a point the graph takes meanwhile is in one or the other
    const waiting =
      this.unindexed.size > 0
        ? this.store.exactTopK(query, this.store.slotsAmong(this.unindexed, filter), limit)
        : [];
    const hits = await this.ranked(query, limit, filter);
    return this.toHits(waiting.length > 0 ? mergeTopK(hits, waiting, limit) : hits);
  }

  private async ranked(query: Float32Array, limit: number, filter: CompiledFilter | undefined) {
    if (!filter) return this.unfiltered(query, Math.min(limit, this.store.size));
    const candidates = this.store.candidates(filter);
    if (candidates.length === 0) return [];
    if (candidates.length <= this.opts.exactThreshold) {
      return this.store.exactTopK(query, candidates, limit);
    }
    return this.overFetch(query, limit, filter, candidates);
  }

  /**
   * usearch 2.25 (Node) has no filtered search: ask the graph for more neighbours than wanted
   * (at least limit × 4, more when the filter is selective), keep those that pass, and grow k
   * ×4 until enough pass or k covers the index. HNSW is approximate even at k = size (it may
   * miss a few points), so when that is still short the candidates are ranked exactly.
   */
  private async overFetch(
    query: Float32Array,
    limit: number,
    filter: CompiledFilter,
    candidates: number[],
  ) {
    const size = this.store.size;
    const want = Math.min(limit, candidates.length);
    let k = Math.min(
      size,
      Math.max(limit * 4, Math.ceil(((limit * size) / candidates.length) * this.opts.overFetch)),
    );
    for (;;) {
      const hits = (await this.ann(query, k)).filter((h) => this.store.matches(h.key, filter));
      if (hits.length >= want) return hits.slice(0, limit);
      if (k >= size) break;
      k = Math.min(size, k * 4);
    }
    return this.store.exactTopK(query, candidates, limit);
  }

  /**
   * A graph whose removed nodes cut it apart can answer short; then the exact top-k (the
   * index is either small or heavily churned for that to happen) keeps the answer complete.
   */
  private async unfiltered(query: Float32Array, want: number) {
    const hits = await this.ann(query, want);
    if (hits.length >= want) return hits;
    return this.store.exactTopK(query, this.store.candidates({}), want);
  }

  /** The graph's k nearest live points, re-ranked by exact cosine over the kept vectors. */
  private async ann(
    query: Float32Array,
    k: number,
  ): Promise<{ key: bigint; similarity: number }[]> {
    // usearch searches with a beam of max(its ef, k): asking for ef neighbours is a search at
    // that ef, and the graph's first k of them are the ones re-ranked
    const m = await this.graph.search(query, Math.max(k, this.efNow()));
    const out: { key: bigint; similarity: number }[] = [];
    const qNorm = Math.sqrt(dot(query, 0, query, 0, query.length)) || 1;
    for (const key of m.keys.subarray(0, k)) {
      const similarity = this.store.similarity(query, qNorm, key);
      if (similarity !== undefined) out.push({ key, similarity });
    }
    return out.sort((a, b) => b.similarity - a.similarity);
  }

  private efNow(): number {
    const ef = this.opts.expansionSearch;
    return ef === 'auto' ? efForSize(this.store.size) : ef;
  }

  private toHits(hits: { key: bigint; similarity: number }[]): IndexHit[] {
    return hits.map(({ key, similarity }) => ({ key: this.store.recordKeyOf(key)!, similarity }));
  }

  async count(): Promise<number> {
    this.assertOpen();
    return this.store.size;
  }

  /** The keys of the points whose payload passes `keep` (one pass over every point). */
  keysWhere(keep: (payload: PointPayload) => boolean): RecordKey[] {
    this.assertOpen();
    const out: RecordKey[] = [];
    for (const p of this.store.allPayloads())
      if (keep(p)) out.push({ system_id: p.system_id, id: p.id });
    return out;
  }

  /** The payload of the point of `key` (its timestamp as ISO-8601 UTC, milliseconds). */
  payloadOf(key: RecordKey): PointPayload | undefined {
    this.assertOpen();
    return this.store.payloadOf(usearchKeyOf(key));
  }

  /** The `extra` stored with the point of `key` (IndexPoint.extra); undefined: none. */
  extraOf(key: RecordKey): Record<string, unknown> | undefined {
    this.assertOpen();
    return this.extraAt(usearchKeyOf(key));
  }

  /** payloadOf and extraOf at once: the key is hashed once (a search's hits need both). */
  shownOf(key: RecordKey): { payload: PointPayload; extra: Record<string, unknown> } | undefined {
    this.assertOpen();
    const k = usearchKeyOf(key);
    const payload = this.store.payloadOf(k);
    const extra = payload && this.extraAt(k);
    return extra && { payload: payload!, extra };
  }

  private extraAt(key: bigint): Record<string, unknown> | undefined {
    const bytes = this.store.extraOf(key);
    return bytes && (JSON.parse(bytes.toString('utf8')) as Record<string, unknown>);
  }

  /** The keys of the points of each of `shards` (payload `shard`), in one pass. */
  keysOfShards(shards: Iterable<number>): Map<number, RecordKey[]> {
    this.assertOpen();
    return this.store.keysOfShards(new Set(shards));
  }

  /** The shards (payload `shard`) that some point belongs to. */
  shardsHeld(): Set<number> {
    this.assertOpen();
    return this.store.shardsHeld();
  }

  /** Points whose vector is in memory until the next save (the others are read from the file). */
  get unsaved(): number {
    return this.store.inMemory;
  }

  /** Bytes of the saved points held in memory (UsearchIndexOptions.residentBytes). */
  get residentBytes(): number {
    return this.store.residentBytes;
  }

  /** `keySetFingerprint` of the keys this index holds. */
  fingerprint(): bigint {
    this.assertOpen();
    let x = 0n;
    for (const k of this.store.allKeys()) x ^= k;
    return x;
  }

  /**
   * Writes `<path>` (usearch) and `<path>.meta` (sidecar) atomically enough: both are written
   * to temporary files, fsynced and renamed, index first. A crash between the two renames
   * leaves a sidecar whose checksum does not match the index: the next open rebuilds.
   */
  save(marksOf?: () => Record<string, string>): Promise<void> {
    // the staged points go in first, slice by slice (live changes take turns); the save adds
    // those staged since
    const run = this.saving
      .then(() => this.built().catch(() => undefined))
      .then(() => this.change(() => this.saveNow(marksOf)));
    this.saving = run.catch(() => undefined);
    return run;
  }

  private async saveNow(marksOf?: () => Record<string, string>): Promise<void> {
    this.assertWritable();
    const path = this.opts.path;
    if (!path) throw new Error('this index has no path to save to');
    while (this.unindexed.size > 0) await this.addUnindexed(BUILD_SLICE);
    await mkdir(dirname(path), { recursive: true });
    await removeLeftovers(path);
    const tmpIndex = `${path}.tmp-${process.pid}`;
    const tmpSide = `${sidecarPath(path)}.tmp-${process.pid}`;
    try {
      await this.graph.save(tmpIndex);
      // no change runs during a save: graph, points and marks agree
      const marks = marksOf?.();
      const snap = await this.store.snapshot();
      if (!slotsLoadable(await savedSlotCount(tmpIndex), snap.count)) {
        await this.compact(snap);
        await this.graph.save(tmpIndex);
      }
      await fsyncFile(tmpIndex);
      const header = {
        version: 1,
        dimensions: this.opts.dimensions,
        count: snap.count,
        index_bytes: (await fileSize(tmpIndex)) ?? 0,
        index_sha256: await sha256InWorker(tmpIndex),
        connectivity: this.opts.connectivity,
        quantization: this.opts.quantization,
        saved_at: new Date().toISOString(),
        ...(marks && { marks }),
      };
      const layout = await writeSidecar(tmpSide, header, snap);
      await rename(tmpIndex, path);
      await rename(tmpSide, sidecarPath(path));
      await fsyncFile(dirname(path)).catch(() => undefined);
      this.store.adopt(openPointFile(path, this.opts, snap.columns.extraBytes, layout), snap);
    } finally {
      await rm(tmpIndex, { force: true });
      await rm(tmpSide, { force: true });
    }
  }

  /**
   * A new graph of the live points only, without the removed slots (usearch-slots.ts). It
   * costs a build of the live points, and a save needs it only once more than about half
   * the slots are removed ones.
   */
  private async compact(snap: PointSnapshot): Promise<void> {
    const graph = graphOf(this.opts);
    const d = this.opts.dimensions;
    const rows = 16_384;
    try {
      for (let start = 0; start < snap.count; start += rows) {
        const count = Math.min(rows, snap.count - start);
        const vectors = new Float32Array(count * d);
        snap.readVectors(start, count, vectors);
        await graph.add(snap.columns.keys.slice(start, start + count), vectors, this.opts.threads);
      }
    } catch (err) {
      await graph.close();
      throw err;
    }
    const old = this.graph;
    this.graph = graph;
    await old.close(); // after the searches it is answering
  }

  async close(): Promise<void> {
    if (this.closed) return;
    this.closing = true; // staged points not saved yet are left out: the file never held them
    await this.building;
    await this.saving;
    await this.changing;
    this.closed = true;
    this.store.close();
    await this.graph.close();
  }

  private assertOpen(): void {
    if (this.closed) throw new Error('vector index is closed');
  }

  private assertWritable(): void {
    this.assertOpen();
    if (this.opts.mode === 'view') throw new Error('vector index is a read-only view');
  }
}

/** staged points added to the graph per change: ~0.5 s of both cores */
const BUILD_SLICE = 4096;

/** Two top-k lists (of other points, or the same point scored the same) as one. */
function mergeTopK<T extends { key: bigint; similarity: number }>(a: T[], b: T[], k: number): T[] {
  const seen = new Set(a.map((h) => h.key));
  const merged = a.concat(b.filter((h) => !seen.has(h.key)));
  return merged.sort((x, y) => y.similarity - x.similarity).slice(0, k);
}

const extraBytes = (p: IndexPoint) =>
  p.extra === undefined ? undefined : Buffer.from(JSON.stringify(p.extra));

/** The saved points' file; its resident part loads in the background (reads go to the file meanwhile). */
function openPointFile(
  indexPath: string,
  opts: { dimensions: number; residentBytes: number },
  extraBytes: Uint32Array,
  layout: SidecarLayout,
): PointFile {
  const file = PointFile.open(sidecarPath(indexPath), {
    dimensions: opts.dimensions,
    rows: extraBytes.length,
    extraBytes,
    ...layout,
  });
  void file.loadResident(opts.residentBytes);
  return file;
}

/** XOR of the records' 64-bit keys: equal sets give equal fingerprints, in any order. */
export function keySetFingerprint(keys: Iterable<RecordKey>): bigint {
  let x = 0n;
  for (const k of keys) x ^= usearchKeyOf(k);
  return x;
}

async function staleness(
  index: UsearchIndex,
  expectedCount: (() => Promise<number>) | undefined,
  expectedFingerprint: (() => Promise<bigint>) | undefined,
): Promise<string | undefined> {
  const have = await index.count();
  const count = expectedCount ? await expectedCount() : have;
  if (count !== have) return `stale: index holds ${have} points, source ${count}`;
  if (expectedFingerprint && (await expectedFingerprint()) !== index.fingerprint()) {
    return `stale: index holds other keys than the source (${have} points)`;
  }
  return undefined;
}

/**
 * ef at query time for a graph of `points` points: 80 × (points / 1M)^0.4, at least 32.
 * bench:query measured both ends: recall@10 0.994 at ef 32 with 100,000 points, and 0.971–0.978
 * at ef 80 with 1M (ef 64 gave 0.949 there); the beam grows with the graph in between and
 * beyond. The graph's cost per search is about linear in ef (ef 32 takes ~45 % of ef 80's).
 */
export function efForSize(points: number): number {
  return Math.max(32, Math.round(80 * (points / 1_000_000) ** 0.4));
}

type Resolved = ReturnType<typeof resolve>;

function resolve(o: UsearchIndexOptions) {
  return {
    dimensions: o.dimensions ?? EMBEDDING_DIM,
    connectivity: o.connectivity ?? USEARCH_DEFAULTS.connectivity,
    expansionAdd: o.expansionAdd ?? USEARCH_DEFAULTS.expansionAdd,
    expansionSearch: o.expansionSearch ?? USEARCH_DEFAULTS.expansionSearch,
    quantization: o.quantization ?? USEARCH_DEFAULTS.quantization,
    threads: o.threads ?? USEARCH_DEFAULTS.threads,
    graphThread: o.graphThread ?? USEARCH_DEFAULTS.graphThread,
    exactThreshold: o.exactThreshold ?? USEARCH_DEFAULTS.exactThreshold,
    overFetch: o.overFetch ?? USEARCH_DEFAULTS.overFetch,
    residentBytes: o.residentBytes ?? USEARCH_DEFAULTS.residentBytes,
    stagedMax: o.stagedMax ?? USEARCH_DEFAULTS.stagedMax,
    mode: o.mode ?? 'load',
    ...(o.path !== undefined ? { path: o.path } : {}),
  };
}

function graphOf(o: Resolved): Graph {
  const config: IndexConfig = {
    dimensions: o.dimensions,
    metric: MetricKind.Cos,
    quantization: o.quantization === 'i8' ? ScalarKind.I8 : ScalarKind.F32,
    connectivity: o.connectivity,
    expansion_add: o.expansionAdd,
    // the smallest beam: each search asks for max(k, ef) neighbours (ann), so ef is per search
    expansion_search: 1,
    multi: false,
  };
  const nice = HOT_INDEX_DEFAULTS.graphNice;
  const thread = o.graphThread === 'auto' ? availableParallelism() >= 2 : o.graphThread;
  return newGraph(config, { thread, batchThreads: o.threads, nice });
}

/** Reads a saved graph and checks it against its sidecar: the count, the dimensions, keys. */
async function readGraph(
  graph: Graph,
  path: string,
  opts: Resolved,
  count: number,
  keys: BigUint64Array,
): Promise<void> {
  try {
    if (opts.mode === 'view') await graph.view(path);
    else await graph.load(path);
  } catch (err) {
    throw new IndexFileError(`usearch could not read ${path}: ${(err as Error).message}`);
  }
  const size = await graph.size();
  if (size !== count || (await graph.dimensions()) !== opts.dimensions) {
    throw new IndexFileError(`index holds ${size} points, its sidecar ${count}`);
  }
  if (!(await containsAll(graph, sampleKeys(keys)))) {
    throw new IndexFileError(`index and sidecar hold different keys: ${path}`);
  }
}

/**
 * usearch 2.25 aborts the process on a truncated file: check size and sha256 (`actual`, being
 * computed) before loading.
 */
async function verifyIndexFile(
  path: string,
  bytes: number,
  sha256: string,
  actual: Promise<string | undefined>,
): Promise<void> {
  const size = await fileSize(path);
  if (size === undefined) throw new IndexFileError(`index file missing: ${path}`);
  if (size !== bytes) throw new IndexFileError(`index file has ${size} bytes, expected ${bytes}`);
  if ((await actual) !== sha256) {
    throw new IndexFileError(`index file checksum mismatch: ${path}`);
  }
}

/**
 * Keys the loaded graph must hold: every one of a small index, an even sample of a large one
 * (the sidecar's checksum of the graph file already ties the two; 1M lookups cost ~1 s).
 */
function sampleKeys(keys: BigUint64Array): BigUint64Array {
  const step = Math.max(1, Math.floor(keys.length / 8192));
  if (step === 1) return keys;
  const out = new BigUint64Array(Math.ceil(keys.length / step));
  for (let i = 0; i < out.length; i++) out[i] = keys[i * step]!;
  return out;
}

async function containsAll(graph: Graph, keys: BigUint64Array): Promise<boolean> {
  if (keys.length === 0) return true;
  return (await graph.contains(keys)).every(Boolean);
}

/** Temporary files of a save that a crash interrupted (any process). */
async function removeLeftovers(path: string): Promise<void> {
  const prefixes = [`${basename(path)}.tmp-`, `${basename(sidecarPath(path))}.tmp-`];
  const names = await readdir(dirname(path)).catch(() => [] as string[]);
  for (const name of names) {
    if (prefixes.some((p) => name.startsWith(p))) {
      await rm(join(dirname(path), name), { force: true });
    }
  }
}

async function fsyncFile(path: string): Promise<void> {
  const fh = await open(path, 'r');
  try {
    await fh.sync();
  } finally {
    await fh.close();
  }
}
