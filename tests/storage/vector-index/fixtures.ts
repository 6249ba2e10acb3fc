import { MetricKind, ScalarKind, type IndexConfig } from 'usearch';
import type { IndexPoint, PointPayload, SearchFilter } from '../../../storage/vector-index/types';
import { gaussian, rng } from '../../helpers/random';

export { gaussian, rng };

export const DIM = 384;

/** A small f32 usearch graph's settings, for tests of the native graph's wrappers. */
export const F32_GRAPH: IndexConfig = {
  dimensions: DIM,
  metric: MetricKind.Cos,
  quantization: ScalarKind.F32,
  connectivity: 16,
  expansion_add: 64,
  expansion_search: 64,
  multi: false,
};

export function unitVector(next: () => number, dim = DIM): Float32Array {
  const v = new Float32Array(dim);
  let norm = 0;
  for (let i = 0; i < dim; i++) {
    v[i] = gaussian(next);
    norm += v[i]! * v[i]!;
  }
  norm = Math.sqrt(norm);
  for (let i = 0; i < dim; i++) v[i] = v[i]! / norm;
  return v;
}

export const BASE_MS = Date.parse('2026-01-01T00:00:00.000Z');
export const HOUR = 3_600_000;
export const PROJECTS = ['alpha', 'beta', 'gamma'] as const;
export const RARE_SYSTEM = 'sys-rare';
export const MAIN_SYSTEM = 'sys-main';

/**
 * `n` points: the first `rare` belong to RARE_SYSTEM (few among many), the rest to
 * MAIN_SYSTEM; projects cycle (every 7th is null), kinds alternate, point i is at BASE + i h.
 */
export function dataset(n = 600, rare = 10, seed = 42): IndexPoint[] {
  const next = rng(seed);
  return Array.from({ length: n }, (_, i) => {
    const system_id = i < rare ? RARE_SYSTEM : MAIN_SYSTEM;
    const id = `rec-${String(i).padStart(5, '0')}`;
    const payload: PointPayload = {
      system_id,
      id,
      kind: i % 2 === 0 ? 'conversation' : 'reflection',
      project: i % 7 === 0 ? null : PROJECTS[i % 3]!,
      timestamp: new Date(BASE_MS + i * HOUR).toISOString(),
      shard: 7,
      tier: 'hot',
    };
    return { key: { system_id, id }, vector: unitVector(next), payload };
  });
}

export const keyStr = (k: { system_id: string; id: string }) => `${k.system_id}/${k.id}`;

export function passes(p: PointPayload, f: SearchFilter | undefined): boolean {
  if (!f) return true;
  const t = Date.parse(p.timestamp);
  return (
    (f.system_id === undefined || p.system_id === f.system_id) &&
    (f.project === undefined || p.project === f.project) &&
    (f.kind === undefined || p.kind === f.kind) &&
    (f.since === undefined || t >= Date.parse(f.since)) &&
    (f.until === undefined || t < Date.parse(f.until))
  );
}

export function cosine(a: Float32Array, b: Float32Array): number {
  let d = 0;
  let na = 0;
  let nb = 0;
  for (let i = 0; i < a.length; i++) {
    d += a[i]! * b[i]!;
    na += a[i]! * a[i]!;
    nb += b[i]! * b[i]!;
  }
  return d / Math.sqrt(na * nb);
}

/** Exact top-k by brute force: what an index should approximate. */
export function exactTopK(
  points: IndexPoint[],
  query: Float32Array,
  k: number,
  filter?: SearchFilter,
): { key: string; similarity: number }[] {
  return points
    .filter((p) => passes(p.payload, filter))
    .map((p) => ({ key: keyStr(p.key), similarity: cosine(query, p.vector) }))
    .sort((a, b) => b.similarity - a.similarity)
    .slice(0, k);
}

export async function* inBatches(points: IndexPoint[], size = 128): AsyncIterable<IndexPoint[]> {
  for (let i = 0; i < points.length; i += size) yield points.slice(i, i + size);
}
