import { dot } from '../storage/vector-index/point-store';
import { gaussian, rng } from '../tests/helpers/random';

export const DIM = 384;
/** per dimension: a point's cosine to its cluster centre is ≈ 0.7 */
const NOISE = 0.05;

function normalise(v: Float32Array, off: number): void {
  let s = 0;
  for (let i = 0; i < DIM; i++) s += v[off + i]! * v[off + i]!;
  const n = Math.sqrt(s) || 1;
  for (let i = 0; i < DIM; i++) v[off + i] = v[off + i]! / n;
}

/**
 * `count` L2-normalised points around `clusters` seeded centres (the centres depend on
 * `centreSeed` only, so points of another `seed` — queries — fall in the same clusters).
 */
export function clustered(
  count: number,
  clusters: number,
  seed: number,
  centreSeed: number,
): Float32Array {
  const c = rng(centreSeed * 7919);
  const centres = new Float32Array(clusters * DIM);
  for (let i = 0; i < centres.length; i++) centres[i] = gaussian(c);
  for (let k = 0; k < clusters; k++) normalise(centres, k * DIM);
  const next = rng(seed);
  const out = new Float32Array(count * DIM);
  for (let p = 0; p < count; p++) {
    const k = Math.floor(next() * clusters);
    for (let i = 0; i < DIM; i++) out[p * DIM + i] = centres[k * DIM + i]! + NOISE * gaussian(next);
    normalise(out, p * DIM);
  }
  return out;
}

/**
 * Exact top-k point numbers for one query over all points, once per filter (one pass; exact
 * cosine with a Float32 dot-product loop, the vectors being unit length).
 */
export function bruteForce(
  vectors: Float32Array,
  q: Float32Array,
  k: number,
  filters: ((i: number) => boolean)[],
): number[][] {
  const tops = filters.map(() => [] as { i: number; s: number }[]);
  const n = vectors.length / DIM;
  for (let i = 0; i < n; i++) {
    const s = dot(q, 0, vectors, i * DIM, DIM);
    filters.forEach((pass, f) => {
      const top = tops[f]!;
      if (top.length === k && s <= top[k - 1]!.s) return;
      if (!pass(i)) return;
      let j = top.length < k ? top.length : k - 1;
      while (j > 0 && top[j - 1]!.s < s) {
        top[j] = top[j - 1]!;
        j--;
      }
      top[j] = { i, s };
    });
  }
  return tops.map((t) => t.map(({ i }) => i));
}
