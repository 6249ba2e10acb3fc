/**
 * The maximum sustainable rate: offer rising rates back to back (×1.5 a step) until the
 * consumer lag grows without bound (or falling ones until it does not), then drain and try
 * once between the last bounded rate and the first unbounded one. A step is bounded when its
 * lag ends below two seconds' worth of the offered rate (at least 20 messages), or did not
 * grow over the step's second half (slope ≤ 2 % of the rate).
 */
import { STREAM } from '../streams/definitions';
import { offerLoad, type LoadShape } from './load-generator';
import { drain, lagTotal, type LoadContext } from './load-scenario';
import { streamMessages } from './load-samplers';
import { newStats, type RunStats } from './load-tracker';

export interface RampStep {
  stats: RunStats;
  perMinute: number;
  publishedPerMin: number;
  lagEnd: number;
  /** lag growth over the step's second half, messages per second (least squares) */
  lagSlopePerS: number;
  bounded: boolean;
}

export interface RampResult {
  steps: RampStep[];
  maxBoundedPerMin: number;
  deadLetters: number;
  embeddedLeft: number;
  drainS: number;
}

function slopePerS(points: { atMs: number; value: number }[]): number {
  if (points.length < 2) return 0;
  const mx = points.reduce((a, p) => a + p.atMs, 0) / points.length;
  const my = points.reduce((a, p) => a + p.value, 0) / points.length;
  let num = 0;
  let den = 0;
  for (const p of points) {
    num += (p.atMs - mx) * (p.value - my);
    den += (p.atMs - mx) ** 2;
  }
  return den ? (num / den) * 1000 : 0;
}

async function step(ctx: LoadContext, shape: LoadShape, tag: string): Promise<RampStep> {
  const stats = newStats(`ramp ${shape.perMinute}/min`);
  const t0 = performance.now();
  await offerLoad(ctx.rig.js, ctx.tracker, stats, tag, shape);
  const t1 = performance.now();
  const half = ctx.samplers.lagBetween((t0 + t1) / 2, t1);
  const lagEnd = lagTotal(half.at(-1));
  const slope = slopePerS(half.map((s) => ({ atMs: s.atMs, value: lagTotal(s) })));
  const perS = shape.perMinute / 60;
  const publishedPerMin = (stats.acked / shape.seconds) * 60;
  const kept = publishedPerMin >= 0.9 * shape.perMinute; // the broker took the offered rate
  const bounded = kept && (lagEnd <= Math.max(20, 2 * perS) || slope <= 0.02 * perS);
  return {
    stats,
    perMinute: shape.perMinute,
    publishedPerMin,
    lagEnd,
    lagSlopePerS: slope,
    bounded,
  };
}

/**
 * Up by ×1.5 while the lag stays bounded; when the first rate already is unbounded, down by
 * ÷1.5 until it is bounded, draining before each lower step so that it starts clean.
 */
async function bracket(
  ctx: LoadContext,
  base: LoadShape,
  maxSteps: number,
  steps: RampStep[],
): Promise<void> {
  const run = async (perMinute: number) => {
    const shape = { ...base, perMinute: Math.round(perMinute) };
    steps.push(await step(ctx, shape, `ramp${steps.length}`));
    console.log(fmtStep(steps.at(-1)!));
    return steps.at(-1)!;
  };
  let last = await run(base.perMinute);
  const up = last.bounded;
  while (steps.length < maxSteps && last.bounded === up) {
    if (!up)
      await drain(
        ctx,
        steps.map((x) => x.stats),
      );
    last = await run(last.perMinute * (up ? 1.5 : 1 / 1.5));
  }
}

export async function findMaxSustainable(
  ctx: LoadContext,
  base: LoadShape,
  maxSteps = 8,
): Promise<RampResult> {
  const dlq0 = await streamMessages(ctx.rig.jsm, STREAM.deadLetters);
  const steps: RampStep[] = [];
  await bracket(ctx, base, maxSteps, steps);
  const t0 = performance.now();
  await drain(
    ctx,
    steps.map((s) => s.stats),
  );
  const good = Math.max(0, ...steps.filter((s) => s.bounded).map((s) => s.perMinute));
  const bad = Math.min(
    ...steps.filter((s) => !s.bounded && s.perMinute > good).map((s) => s.perMinute),
  );
  if (good && Number.isFinite(bad)) {
    // between the last bounded rate and the first unbounded one, from an empty backlog
    steps.push(
      await step(ctx, { ...base, perMinute: Math.round(Math.sqrt(good * bad)) }, 'ramp-mid'),
    );
    console.log(fmtStep(steps.at(-1)!));
    await drain(
      ctx,
      steps.map((s) => s.stats),
    );
  }
  return {
    steps,
    maxBoundedPerMin: Math.max(0, ...steps.filter((s) => s.bounded).map((s) => s.perMinute)),
    deadLetters: (await streamMessages(ctx.rig.jsm, STREAM.deadLetters)) - dlq0,
    embeddedLeft: await streamMessages(ctx.rig.jsm, STREAM.embedded),
    drainS: (performance.now() - t0) / 1000,
  };
}

export const fmtStep = (s: RampStep) =>
  `  ramp ${s.perMinute.toLocaleString('en-US')}/min: published ${Math.round(s.publishedPerMin).toLocaleString('en-US')}/min, lag at end ${s.lagEnd}, lag slope ${s.lagSlopePerS.toFixed(1)}/s → ${s.bounded ? 'bounded' : 'UNBOUNDED'}`;
