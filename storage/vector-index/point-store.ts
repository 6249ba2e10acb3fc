import type { CompiledFilter, PointPayload } from './types';
import { isoToEpochMs } from './types';

/**
 * What the embedded index keeps beside usearch, slot by slot: the usearch key, the payload
 * (filters, mapping hits back to records), the parsed timestamp and a copy of the vector with
 * its norm (exact search over a selective filter's candidates; usearch 2.25's Node binding
 * cannot return stored vectors). Freed slots are reused.
 */
export class PointStore {
  private keys: bigint[] = [];
  private payloads: (PointPayload | undefined)[] = [];
  private times: number[] = [];
  private norms = new Float32Array(0);
  private vectors = new Float32Array(0);
  private readonly slotOf = new Map<bigint, number>();
  private readonly free: number[] = [];
  private readonly bySystem = new Map<string, Set<number>>();

  constructor(readonly dimensions: number) {}

  get size(): number {
    return this.slotOf.size;
  }

  has(key: bigint): boolean {
    return this.slotOf.has(key);
  }

  payloadOf(key: bigint): PointPayload | undefined {
    const slot = this.slotOf.get(key);
    return slot === undefined ? undefined : this.payloads[slot];
  }

  /** Inserts or replaces the point of `key`. */
  put(key: bigint, payload: PointPayload, vector: Float32Array): void {
    const existing = this.slotOf.get(key);
    if (existing !== undefined) this.dropSlot(key, existing);
    const slot = this.free.pop() ?? this.keys.length;
    this.ensureCapacity(slot + 1);
    this.keys[slot] = key;
    this.payloads[slot] = payload;
    this.times[slot] = isoToEpochMs(payload.timestamp);
    this.vectors.set(vector, slot * this.dimensions);
    this.norms[slot] = Math.sqrt(dot(vector, 0, vector, 0, this.dimensions));
    this.slotOf.set(key, slot);
    const set = this.bySystem.get(payload.system_id) ?? new Set<number>();
    set.add(slot);
    this.bySystem.set(payload.system_id, set);
  }

  delete(key: bigint): boolean {
    const slot = this.slotOf.get(key);
    if (slot === undefined) return false;
    this.dropSlot(key, slot);
    return true;
  }

  private dropSlot(key: bigint, slot: number): void {
    const payload = this.payloads[slot]!;
    const set = this.bySystem.get(payload.system_id);
    set?.delete(slot);
    if (set?.size === 0) this.bySystem.delete(payload.system_id);
    this.payloads[slot] = undefined;
    this.slotOf.delete(key);
    this.free.push(slot);
  }

  private ensureCapacity(slots: number): void {
    const have = this.norms.length;
    if (slots <= have) return;
    const next = Math.max(slots, have * 2, 64);
    const vectors = new Float32Array(next * this.dimensions);
    vectors.set(this.vectors);
    this.vectors = vectors;
    const norms = new Float32Array(next);
    norms.set(this.norms);
    this.norms = norms;
  }

  matches(key: bigint, filter: CompiledFilter): boolean {
    const slot = this.slotOf.get(key);
    return slot !== undefined && this.slotMatches(slot, filter);
  }

  private slotMatches(slot: number, f: CompiledFilter): boolean {
    const p = this.payloads[slot];
    if (!p) return false;
    if (f.system_id !== undefined && p.system_id !== f.system_id) return false;
    if (f.project !== undefined && p.project !== f.project) return false;
    if (f.kind !== undefined && p.kind !== f.kind) return false;
    const t = this.times[slot]!;
    if (f.sinceMs !== undefined && t < f.sinceMs) return false;
    if (f.untilMs !== undefined && t >= f.untilMs) return false;
    return true;
  }

  /** Slots that pass the filter (through the system_id index when the filter names one). */
  candidates(filter: CompiledFilter): number[] {
    const pool =
      filter.system_id !== undefined
        ? (this.bySystem.get(filter.system_id) ?? new Set<number>())
        : this.slotOf.values();
    const out: number[] = [];
    for (const slot of pool) if (this.slotMatches(slot, filter)) out.push(slot);
    return out;
  }

  /** Exact cosine of the query (of norm `qNorm`) and the point of `key`; undefined: no such point. */
  similarity(query: Float32Array, qNorm: number, key: bigint): number | undefined {
    const slot = this.slotOf.get(key);
    return slot === undefined ? undefined : this.cosineAt(query, qNorm, slot);
  }

  /** Exact cosine top-k over the given slots. */
  exactTopK(
    query: Float32Array,
    slots: number[],
    k: number,
  ): { key: bigint; similarity: number }[] {
    const qNorm = Math.sqrt(dot(query, 0, query, 0, this.dimensions)) || 1;
    const scored = slots.map((slot) => ({ slot, similarity: this.cosineAt(query, qNorm, slot) }));
    scored.sort((a, b) => b.similarity - a.similarity);
    return scored.slice(0, k).map((s) => ({ key: this.keys[s.slot]!, similarity: s.similarity }));
  }

  private cosineAt(query: Float32Array, qNorm: number, slot: number): number {
    const d = this.dimensions;
    const s = dot(query, 0, this.vectors, slot * d, d) / (qNorm * (this.norms[slot]! || 1));
    return clampSimilarity(s);
  }

  /** Live points compacted, in slot order: for the sidecar. */
  snapshot(): { payloads: PointPayload[]; vectors: Float32Array } {
    const d = this.dimensions;
    const payloads: PointPayload[] = [];
    const vectors = new Float32Array(this.size * d);
    let i = 0;
    for (let slot = 0; slot < this.keys.length; slot++) {
      const p = this.payloads[slot];
      if (!p) continue;
      payloads.push(p);
      vectors.set(this.vectors.subarray(slot * d, (slot + 1) * d), i * d);
      i++;
    }
    return { payloads, vectors };
  }

  *allKeys(): IterableIterator<bigint> {
    yield* this.slotOf.keys();
  }

  *allPayloads(): IterableIterator<PointPayload> {
    for (const p of this.payloads) if (p) yield p;
  }
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
