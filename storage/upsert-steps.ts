import { readPriority, type ReadPriority } from '../infra';
import type { IndexPoint, VectorIndex } from './vector-index/types';

/** How long one step of graph inserts may hold the event loop (ms). */
export const UPSERT_STEP_MS = 2;
const FIRST_STEP_POINTS = 8;
const MAX_STEP_POINTS = 512;

/**
 * Inserts the points in steps of about UPSERT_STEP_MS each, yielding to searches between
 * steps: a graph insert is synchronous native work (≈ 0.1–0.5 ms a point, more as the graph
 * grows), so a write of a few hundred points in one call held every search behind it. The
 * step size follows the measured time per point.
 */
export async function upsertInSteps(
  index: Pick<VectorIndex, 'upsert'>,
  points: IndexPoint[],
  priority: ReadPriority = readPriority,
  stepMs = UPSERT_STEP_MS,
): Promise<number> {
  let step = FIRST_STEP_POINTS;
  let steps = 0;
  for (let i = 0; i < points.length;) {
    if (steps++ > 0) await priority.yieldToReads();
    const started = performance.now();
    const slice = points.slice(i, i + step);
    await index.upsert(slice);
    i += slice.length;
    const msPerPoint = (performance.now() - started) / slice.length;
    step = Math.max(1, Math.min(MAX_STEP_POINTS, Math.floor(stepMs / Math.max(msPerPoint, 1e-3))));
  }
  return steps;
}
