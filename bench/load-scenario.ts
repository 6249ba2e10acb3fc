/**
 * One load scenario: offer a shape for its duration, then drain (wait for every
 * broker-acknowledged upload's ingest-complete event), and sum up what was measured.
 */
import { STREAM } from '../streams/definitions';
import { sleep } from './lib';
import { offerLoad, type LoadShape } from './load-generator';
import type { Rig } from './load-rig';
import { cpuSecondsOf, loadAverage1m, streamMessages, type Samplers } from './load-samplers';
import { newStats, type RunStats, type UploadTracker } from './load-tracker';

export interface LoadContext {
  rig: Rig;
  tracker: UploadTracker;
  samplers: Samplers;
  drainTimeoutS: number;
}

export interface ScenarioResult {
  stats: RunStats;
  shape: LoadShape;
  /** uploads/min the broker acknowledged while the load ran */
  publishedPerMin: number;
  /** ingest-complete events/min, from the first scheduled send to the last event */
  achievedPerMin: number;
  lagMax: number;
  lagAtLoadEnd: number;
  /** after the drain: lag, and chunks left in the hand-off stream */
  lagFinal: number;
  embeddedLeft: number;
  deadLetters: number;
  rssMb: { start: number; max: number; end: number };
  /** CPU seconds over the scenario: pipeline process, nats-server, load generator */
  cpuS: { pipeline: number; nats: number; generator: number };
  drainS: number;
  /** the machine's 1-minute load average at the end of the load window */
  loadAverage: number;
}

export const lagTotal = (s: { ingest: number; writers: number } | undefined) =>
  s ? s.ingest + s.writers : NaN;

function cpuNow(rig: Rig) {
  const self = process.cpuUsage();
  return {
    pipeline: cpuSecondsOf(rig.pipelinePid),
    nats: cpuSecondsOf(rig.server.process.pid!),
    generator: (self.user + self.system) / 1e6,
  };
}

const sum = (runs: RunStats[], f: (s: RunStats) => number) => runs.reduce((a, s) => a + f(s), 0);

/** Waits until nothing is owed, or the lag has been zero for 20 s with nothing arriving. */
export async function drain(ctx: LoadContext, runs: RunStats[]): Promise<void> {
  const deadline = performance.now() + ctx.drainTimeoutS * 1000;
  let idleSince = performance.now();
  let announced = sum(runs, (s) => s.announced);
  while (sum(runs, (s) => s.owed) > 0 && performance.now() < deadline) {
    await sleep(500);
    const now = sum(runs, (s) => s.announced);
    if (now !== announced || lagTotal(ctx.samplers.lag.at(-1)) !== 0) idleSince = performance.now();
    announced = now;
    if (performance.now() - idleSince > 20_000) return;
  }
}

export async function runScenario(
  ctx: LoadContext,
  name: string,
  tag: string,
  shape: LoadShape,
): Promise<ScenarioResult> {
  const { rig, samplers } = ctx;
  const stats = newStats(name);
  const dlq0 = await streamMessages(rig.jsm, STREAM.deadLetters);
  const cpu0 = cpuNow(rig);
  const t0 = performance.now();
  await offerLoad(rig.js, ctx.tracker, stats, tag, shape);
  const loadEnd = performance.now();
  const loadAverage = loadAverage1m();
  await drain(ctx, [stats]);
  await sleep(1500); // one more lag sample after the last event
  const t1 = performance.now();
  const cpu1 = cpuNow(rig);
  const lag = samplers.lagBetween(t0, t1);
  const rss = samplers.rssBetween(t0, t1).map((s) => s.rssMb);
  return {
    stats,
    shape,
    publishedPerMin: (stats.acked / shape.seconds) * 60,
    achievedPerMin:
      (stats.announced / Math.max(shape.seconds * 1000, stats.lastEventMs - stats.firstDueMs)) *
      60_000,
    lagMax: Math.max(0, ...lag.map(lagTotal)),
    lagAtLoadEnd: lagTotal(samplers.lagBetween(t0, loadEnd).at(-1)),
    lagFinal: lagTotal(lag.at(-1)),
    embeddedLeft: await streamMessages(rig.jsm, STREAM.embedded),
    deadLetters: (await streamMessages(rig.jsm, STREAM.deadLetters)) - dlq0,
    rssMb: { start: rss[0] ?? NaN, max: Math.max(...rss), end: rss.at(-1) ?? NaN },
    cpuS: {
      pipeline: cpu1.pipeline - cpu0.pipeline,
      nats: cpu1.nats - cpu0.nats,
      generator: cpu1.generator - cpu0.generator,
    },
    drainS: (t1 - loadEnd) / 1000,
    loadAverage,
  };
}
