import { yieldToEventLoop } from '../../infra';
import { KeySlots } from './key-slots';
import type { PointFile } from './point-file';
import { PointSnapshot, type PointColumns } from './point-snapshot';
import type { CompiledFilter, PointPayload, RecordKey } from './types';
import { isoToEpochMs } from './types';

export type { PointColumns } from './point-snapshot';
export { PointSnapshot } from './point-snapshot';

/** `project` of a point whose project is null. */
export const NULL_REF = 0xffffffff;
/** rows read at once when many vectors are ranked (6 MB of 384-d floats) */
const READ_ROWS = 4096;
/** rows skipped rather than split into two reads */
const READ_GAP = 2;
/** rows a save's snapshot copies per turn of the event loop (~3 ms here) */
const SNAPSHOT_ROWS = 32_768;

/** A typed column of the store, by slot. */
type Column = { [row: number]: number | bigint; readonly length: number };

interface FilterRefs {
  system: number;
  project: number;
  kind: number;
  none: boolean;
  sinceMs?: number | undefined;
  untilMs?: number | undefined;
}

/** Distinct strings (systems, kinds, projects, tiers) by number: a point keeps 4 bytes each. */
class StringTable {
  private readonly refs = new Map<string, number>();
  readonly values: string[] = [];

  constructor(values: string[] = []) {
    for (const v of values) this.ref(v);
  }

  ref(value: string): number {
    let r = this.refs.get(value);
    if (r === undefined) {
      r = this.values.length;
      this.values.push(value);
      this.refs.set(value, r);
    }
    return r;
  }

  find(value: string): number | undefined {
    return this.refs.get(value);
  }
}

/**
 * What the embedded index keeps beside usearch, slot by slot, in columns: the usearch key,
 * the payload (filters, mapping hits back to records), the parsed timestamp, and where the
 * point's vector and extra are. Those of points saved are read from the sidecar in place
 * (PointFile), so memory does not grow with them; those of points added since the last save
 * are held in memory until the next save re-points them to its file. Freed slots are reused.
 */
export class PointStore {
  private keys = new BigUint64Array(0);
  private ids: (string | undefined)[] = [];
  private system = new Uint32Array(0);
  private kind = new Uint32Array(0);
  private project = new Uint32Array(0);
  private tier = new Uint32Array(0);
  private times = new Float64Array(0);
  private shard = new Int32Array(0);
  /** bumped at every put: a save re-points only the slots it saw */
  private gens = new Uint32Array(0);
  /** row of the slot in `file`; -1: vector and extra in memory */
  private rows = new Int32Array(0);
  private used = 0;
  private file: PointFile | undefined;
  private memVectors = new Map<number, Float32Array>();
  private memExtras = new Map<number, Buffer>();
  private readonly strings = new StringTable();
  private slotOf = new KeySlots();
  private readonly free: number[] = [];
  private readonly bySystem = new Map<number, Set<number>>();
  private readonly one: Float32Array;
  /** rows read for ranking, kept between searches (no 1.5 MB garbage per filtered search) */
  private scratch = new Float32Array(0);

  constructor(readonly dimensions: number) {
    this.one = new Float32Array(dimensions);
  }

  /** The store of a loaded sidecar: its columns in memory, vectors and extras in `file`. */
  static fromColumns(dimensions: number, cols: PointColumns, file: PointFile): PointStore {
    const store = new PointStore(dimensions);
    const n = cols.keys.length;
    for (const v of cols.strings) store.strings.ref(v);
    store.ensureCapacity(n);
    store.keys.set(cols.keys);
    store.system.set(cols.system);
    store.kind.set(cols.kind);
    store.project.set(cols.project);
    store.tier.set(cols.tier);
    store.times.set(cols.times);
    store.shard.set(cols.shard);
    store.ids = cols.ids.slice();
    store.ids.length = store.keys.length;
    store.slotOf = new KeySlots(n);
    const halves = new Uint32Array(cols.keys.buffer, cols.keys.byteOffset, n * 2);
    for (let slot = 0; slot < n; slot++) {
      store.rows[slot] = slot;
      store.slotOf.setHalves(halves[2 * slot]!, halves[2 * slot + 1]!, slot);
      store.systemSlots(cols.system[slot]!).add(slot);
    }
    store.used = n;
    store.file = file;
    return store;
  }

  get size(): number {
    return this.slotOf.size;
  }

  has(key: bigint): boolean {
    return this.slotOf.has(key);
  }

  payloadOf(key: bigint): PointPayload | undefined {
    const slot = this.slotOf.get(key);
    return slot === undefined ? undefined : this.payloadAt(slot);
  }

  /** The record key of the point of `key` only: a search's candidates need no more. */
  recordKeyOf(key: bigint): RecordKey | undefined {
    const slot = this.slotOf.get(key);
    if (slot === undefined) return undefined;
    return { system_id: this.strings.values[this.system[slot]!]!, id: this.ids[slot]! };
  }

  private payloadAt(slot: number): PointPayload {
    const s = this.strings.values;
    const project = this.project[slot]!;
    return {
      system_id: s[this.system[slot]!]!,
      id: this.ids[slot]!,
      kind: s[this.kind[slot]!]!,
      project: project === NULL_REF ? null : s[project]!,
      timestamp: new Date(this.times[slot]!).toISOString(),
      shard: this.shard[slot]!,
      tier: s[this.tier[slot]!]! as PointPayload['tier'],
    };
  }

  /**
   * Inserts or replaces the point of `key`; `extra`: bytes kept with it (JSON text). The vector
   * is copied unless `handedOver`: the caller no longer writes to it, and its buffer may be
   * kept whole (a bulk load's vectors are views of its batches' buffers, which it keeps anyway).
   */
  put(
    key: bigint,
    payload: PointPayload,
    vector: Float32Array,
    extra?: Buffer,
    handedOver = false,
  ): void {
    const existing = this.slotOf.get(key);
    if (existing !== undefined) this.dropSlot(key, existing);
    const slot = this.free.pop() ?? this.used++;
    this.ensureCapacity(slot + 1);
    this.keys[slot] = key;
    this.ids[slot] = payload.id;
    this.system[slot] = this.strings.ref(payload.system_id);
    this.kind[slot] = this.strings.ref(payload.kind);
    this.project[slot] = payload.project === null ? NULL_REF : this.strings.ref(payload.project);
    this.tier[slot] = this.strings.ref(payload.tier);
    this.times[slot] = isoToEpochMs(payload.timestamp);
    this.shard[slot] = payload.shard;
    this.gens[slot] = (this.gens[slot]! + 1) >>> 0;
    this.rows[slot] = -1;
    this.memVectors.set(slot, handedOver ? vector : Float32Array.from(vector));
    if (extra) this.memExtras.set(slot, extra);
    this.slotOf.set(key, slot);
    this.systemSlots(this.system[slot]!).add(slot);
  }

  private systemSlots(system: number): Set<number> {
    let set = this.bySystem.get(system);
    if (!set) this.bySystem.set(system, (set = new Set<number>()));
    return set;
  }

  delete(key: bigint): boolean {
    const slot = this.slotOf.get(key);
    if (slot === undefined) return false;
    this.dropSlot(key, slot);
    return true;
  }

  private dropSlot(key: bigint, slot: number): void {
    const set = this.bySystem.get(this.system[slot]!);
    set?.delete(slot);
    if (set?.size === 0) this.bySystem.delete(this.system[slot]!);
    this.ids[slot] = undefined;
    this.memVectors.delete(slot);
    this.memExtras.delete(slot);
    this.slotOf.delete(key);
    this.free.push(slot);
  }

  private ensureCapacity(slots: number): void {
    const have = this.rows.length;
    if (slots <= have) return;
    const next = Math.max(slots, have * 2, 64);
    const grow = <T extends Uint32Array | Int32Array | Float64Array | BigUint64Array>(a: T): T => {
      const b = new (a.constructor as new (n: number) => T)(next);
      b.set(a as never);
      return b;
    };
    this.keys = grow(this.keys);
    this.system = grow(this.system);
    this.kind = grow(this.kind);
    this.project = grow(this.project);
    this.tier = grow(this.tier);
    this.times = grow(this.times);
    this.shard = grow(this.shard);
    this.gens = grow(this.gens);
    this.rows = grow(this.rows);
  }

  matches(key: bigint, filter: CompiledFilter): boolean {
    const slot = this.slotOf.get(key);
    return slot !== undefined && this.slotMatches(slot, this.refsOf(filter)!);
  }

  /** The filter's strings as refs (-1: any); `none` when one names a string no point holds. */
  private refsOf(f: CompiledFilter): FilterRefs {
    const ref = (s: string | undefined) => (s === undefined ? -1 : (this.strings.find(s) ?? -2));
    const refs = { system: ref(f.system_id), project: ref(f.project), kind: ref(f.kind) };
    const none = refs.system === -2 || refs.project === -2 || refs.kind === -2;
    return { ...refs, none, sinceMs: f.sinceMs, untilMs: f.untilMs };
  }

  private slotMatches(slot: number, f: FilterRefs): boolean {
    if (f.none || this.ids[slot] === undefined) return false;
    if (f.system >= 0 && this.system[slot] !== f.system) return false;
    if (f.project >= 0 && this.project[slot] !== f.project) return false;
    if (f.kind >= 0 && this.kind[slot] !== f.kind) return false;
    const t = this.times[slot]!;
    if (f.sinceMs !== undefined && t < f.sinceMs) return false;
    if (f.untilMs !== undefined && t >= f.untilMs) return false;
    return true;
  }

  /** Slots that pass the filter (through the system_id index when the filter names one). */
  candidates(filter: CompiledFilter): number[] {
    const refs = this.refsOf(filter);
    if (refs.none) return [];
    const pool =
      refs.system >= 0 ? (this.bySystem.get(refs.system) ?? new Set<number>()) : this.liveSlots();
    const out: number[] = [];
    for (const slot of pool) if (this.slotMatches(slot, refs)) out.push(slot);
    return out;
  }

  /** The slots of those of `keys` held here that pass the filter (all of them without one). */
  slotsAmong(keys: Iterable<bigint>, filter: CompiledFilter | undefined): number[] {
    const refs = filter && this.refsOf(filter);
    const out: number[] = [];
    for (const key of keys) {
      const slot = this.slotOf.get(key);
      if (slot !== undefined && (!refs || this.slotMatches(slot, refs))) out.push(slot);
    }
    return out;
  }

  /** The vectors of `keys`, every one held here, end to end in their order. */
  vectorsOf(keys: bigint[]): Float32Array {
    const d = this.dimensions;
    const out = new Float32Array(keys.length * d);
    const indexOfSlot = new Map(keys.map((key, i) => [this.slotOf.get(key)!, i]));
    this.eachVector([...indexOfSlot.keys()], (slot, v, at) =>
      out.set(v.subarray(at, at + d), indexOfSlot.get(slot)! * d),
    );
    return out;
  }

  /** Exact cosine of the query (of norm `qNorm`) and the point of `key`; undefined: no such point. */
  similarity(query: Float32Array, qNorm: number, key: bigint): number | undefined {
    const slot = this.slotOf.get(key);
    if (slot === undefined) return undefined;
    const mem = this.memVectors.get(slot);
    if (mem) return cosine(query, qNorm, mem, 0, this.dimensions);
    this.file!.readVectors(this.rows[slot]!, 1, this.one);
    return cosine(query, qNorm, this.one, 0, this.dimensions);
  }

  /** Exact cosine top-k over the given slots. */
  exactTopK(
    query: Float32Array,
    slots: number[],
    k: number,
  ): { key: bigint; similarity: number }[] {
    const qNorm = Math.sqrt(dot(query, 0, query, 0, this.dimensions)) || 1;
    const top: { key: bigint; similarity: number }[] = []; // best first, at most k
    this.eachVector(slots, (slot, v, at) => {
      const similarity = cosine(query, qNorm, v, at, this.dimensions);
      if (top.length === k && similarity <= top[k - 1]!.similarity) return;
      let i = top.length === k ? k - 1 : top.length;
      while (i > 0 && top[i - 1]!.similarity < similarity) top[i] = top[--i]!;
      top[i] = { key: this.keys[slot]!, similarity };
    });
    return top;
  }

  /** Calls `fn` with each slot's vector (at offset `at` of `v`), reading saved ones in runs. */
  eachVector(slots: number[], fn: (slot: number, v: Float32Array, at: number) => void): void {
    const saved: number[] = [];
    for (const slot of slots) {
      const mem = this.memVectors.get(slot);
      if (mem) fn(slot, mem, 0);
      else saved.push(slot);
    }
    if (saved.length === 0) return;
    saved.sort((a, b) => this.rows[a]! - this.rows[b]!);
    const d = this.dimensions;
    for (let i = 0; i < saved.length;) {
      const first = this.rows[saved[i]!]!;
      let j = i + 1;
      while (
        j < saved.length &&
        this.rows[saved[j]!]! - this.rows[saved[j - 1]!]! <= READ_GAP &&
        this.rows[saved[j]!]! - first < READ_ROWS
      )
        j++;
      const count = this.rows[saved[j - 1]!]! - first + 1;
      if (this.scratch.length < count * d) this.scratch = new Float32Array(count * d);
      const buf = this.scratch;
      this.file!.readVectors(first, count, buf);
      for (let m = i; m < j; m++) fn(saved[m]!, buf, (this.rows[saved[m]!]! - first) * d);
      i = j;
    }
  }

  /** The extra kept with the point of `key` (undefined: none, or no such point). */
  extraOf(key: bigint): Buffer | undefined {
    const slot = this.slotOf.get(key);
    if (slot === undefined) return undefined;
    const row = this.rows[slot]!;
    return row < 0 ? this.memExtras.get(slot) : this.file!.readExtra(row);
  }

  /**
   * Live points, grouped by system (a system's rows end up together in the saved file), copied
   * SNAPSHOT_ROWS at a time with a turn of the event loop between: searches go on meanwhile.
   * The caller makes sure no change runs until it has the snapshot (UsearchIndex saves in its
   * chain of changes).
   */
  async snapshot(): Promise<PointSnapshot> {
    const order = this.liveSlotsBySystem();
    const n = order.length;
    // each column of the store and its copy in row order, filled slice by slice below
    const picked: [Column, Column][] = [];
    const copyOf = <T extends Column>(source: T): T => {
      const into = new (source.constructor as new (n: number) => T)(n);
      picked.push([source, into]);
      return into;
    };
    const keys = copyOf(this.keys);
    const times = copyOf(this.times);
    const system = copyOf(this.system);
    const kind = copyOf(this.kind);
    const project = copyOf(this.project);
    const tier = copyOf(this.tier);
    const shard = copyOf(this.shard);
    const gens = copyOf(this.gens);
    const fileRows = copyOf(this.rows);
    const ids = new Array<string>(n);
    const extraBytes = new Uint32Array(n);
    for (let from = 0; from < n; from += SNAPSHOT_ROWS) {
      if (from > 0) await yieldToEventLoop();
      const to = Math.min(n, from + SNAPSHOT_ROWS);
      for (const [source, into] of picked)
        for (let i = from; i < to; i++) into[i] = source[order[i]!]!;
      for (let i = from; i < to; i++) {
        const slot = order[i]!;
        const row = fileRows[i]!;
        ids[i] = this.ids[slot]!;
        extraBytes[i] =
          row >= 0 ? this.file!.extraLength(row) : (this.memExtras.get(slot)?.length ?? 0);
      }
    }
    const strings = this.strings.values.slice();
    const columns = { keys, ids, strings, system, kind, project, tier, times, shard, extraBytes };
    const { file, memVectors, memExtras } = this;
    return new PointSnapshot(this.dimensions, columns, {
      slots: order,
      gens,
      fileRows,
      file,
      memVectors,
      memExtras,
    });
  }

  private liveSlotsBySystem(): Int32Array {
    const bySystem = [...this.bySystem.values()];
    const order = new Int32Array(this.size);
    let i = 0;
    for (const set of bySystem) for (const slot of set) order[i++] = slot;
    return order;
  }

  /**
   * After a save of `snap` into `file`: the slots it saw that were not replaced since are
   * read from the file and leave memory; the previous file is closed (no slot reads it).
   */
  adopt(file: PointFile, snap: PointSnapshot): void {
    const { slots, gens, fileRows } = snap.origin;
    const fromMemory: number[] = [];
    for (let row = 0; row < slots.length; row++) {
      const slot = slots[row]!;
      if (this.ids[slot] === undefined || this.gens[slot] !== gens[row]) continue;
      this.rows[slot] = row;
      if (fileRows[row]! < 0) fromMemory.push(slot);
    }
    this.leaveMemory(fromMemory);
    // every live slot that read the previous file was in the snapshot, unchanged (a put
    // moves a slot to memory): none reads it any more
    const previous = this.file;
    this.file = file;
    if (previous && previous !== file) previous.close();
  }

  /** Slots now read from the file: all of memory at once (the usual case), else one by one. */
  private leaveMemory(slots: number[]): void {
    if (slots.length === this.memVectors.size) {
      this.memVectors = new Map();
      this.memExtras = new Map();
      return;
    }
    for (const slot of slots) {
      this.memVectors.delete(slot);
      this.memExtras.delete(slot);
    }
  }

  /** Points whose vector is held in memory (added since the last save). */
  get inMemory(): number {
    return this.memVectors.size;
  }

  /** Bytes of the saved points' file held in memory (PointFile.loadResident). */
  get residentBytes(): number {
    return this.file?.residentBytes ?? 0;
  }

  close(): void {
    this.file?.close();
  }

  private *liveSlots(): IterableIterator<number> {
    for (let slot = 0; slot < this.used; slot++) if (this.ids[slot] !== undefined) yield slot;
  }

  *allKeys(): IterableIterator<bigint> {
    for (const slot of this.liveSlots()) yield this.keys[slot]!;
  }

  *allPayloads(): IterableIterator<PointPayload> {
    for (const slot of this.liveSlots()) yield this.payloadAt(slot);
  }

  /** The keys of the points of each of `shards` (one pass over the shard column). */
  keysOfShards(shards: Set<number>): Map<number, RecordKey[]> {
    const out = new Map<number, RecordKey[]>([...shards].map((s) => [s, []]));
    const s = this.strings.values;
    for (const slot of this.liveSlots()) {
      const list = out.get(this.shard[slot]!);
      list?.push({ system_id: s[this.system[slot]!]!, id: this.ids[slot]! });
    }
    return out;
  }

  /** The shards that some point belongs to. */
  shardsHeld(): Set<number> {
    const out = new Set<number>();
    for (const slot of this.liveSlots()) out.add(this.shard[slot]!);
    return out;
  }
}

function cosine(q: Float32Array, qNorm: number, v: Float32Array, at: number, d: number): number {
  const norm = Math.sqrt(dot(v, at, v, at, d)) || 1;
  return clampSimilarity(dot(q, 0, v, at, d) / (qNorm * norm));
}

export function dot(a: Float32Array, ao: number, b: Float32Array, bo: number, n: number): number {
  let s0 = 0;
  let s1 = 0;
  let s2 = 0;
  let s3 = 0;
  let i = 0;
  for (; i + 3 < n; i += 4) {
    s0 += a[ao + i]! * b[bo + i]!;
    s1 += a[ao + i + 1]! * b[bo + i + 1]!;
    s2 += a[ao + i + 2]! * b[bo + i + 2]!;
    s3 += a[ao + i + 3]! * b[bo + i + 3]!;
  }
  for (; i < n; i++) s0 += a[ao + i]! * b[bo + i]!;
  return s0 + s1 + s2 + s3;
}

export const clampSimilarity = (s: number) => Math.max(-1, Math.min(1, s));
