/**
 * npm run soak — an endurance run: a steady load for --minutes (default 10; 60 or more for
 * operators) against the pipeline as its own process, with its RSS per minute as a table and
 * as a PNG (bench/results/soak-rss.png), and the RSS drift: (last minute's mean − first
 * steady minute's mean) / first steady minute's mean, goal ≤ 10 %. Each system cycles
 * through --pool record ids (default 20), as Session-Buddy re-sends its whole database, so
 * the stored data stops growing once the pool is full and what RSS still does is the
 * process's own; --pool 0 sends new records only. Other options: --rate uploads/min (1,000),
 * --systems (100), --records per upload (1), --pin none|generator|split.
 */
import { choiceOption, numberOption } from './args';
import { fmt, percentile } from './lib';
import type { LoadShape } from './load-generator';
import { offerLoad } from './load-generator';
import { markdownTable, writeRssChart } from './load-report';
import { logSummary, startRig, type PinMode } from './load-rig';
import { loadAverage1m, Samplers, streamMessages } from './load-samplers';
import { drain, lagTotal, runScenario, type LoadContext } from './load-scenario';
import { newStats, UploadTracker, type RunStats } from './load-tracker';
import { STREAM } from '../streams/definitions';

const minutes = numberOption('minutes', 10);
const pinMode = choiceOption<PinMode>('pin', ['none', 'generator', 'split'], 'generator');
const shape: LoadShape = {
  systems: numberOption('systems', 100),
  perMinute: numberOption('rate', 1000),
  seconds: 60,
  recordsPerUpload: numberOption('records', 1),
  recordPool: numberOption('pool', 20),
};

interface Minute {
  stats: RunStats;
  startMs: number;
  endMs: number;
  loadAverage: number;
}

const mean = (xs: number[]) => xs.reduce((a, x) => a + x, 0) / xs.length;

/** The first minute (1-based) after every system has sent its whole record pool once. */
function firstSteadyMinute(): number {
  if (!shape.recordPool) return 2;
  const rounds = Math.ceil(shape.recordPool / shape.recordsPerUpload);
  const fillMinutes = rounds / (shape.perMinute / shape.systems);
  return Math.max(2, Math.ceil(fillMinutes) + 1);
}

function minuteRows(ctx: LoadContext, done: Minute[]): string[][] {
  return done.map((m, i) => {
    const rss = ctx.samplers.rssBetween(m.startMs, m.endMs).map((s) => s.rssMb);
    const lag = ctx.samplers.lagBetween(m.startMs, m.endMs).map(lagTotal);
    const lat = [...m.stats.latenciesMs].sort((a, b) => a - b);
    return [
      String(i + 1),
      fmt(m.stats.acked),
      fmt(m.stats.announced),
      fmt(percentile(lat, 50), 1),
      fmt(percentile(lat, 99), 1),
      fmt(Math.max(0, ...lag)),
      fmt(mean(rss), 1),
      fmt(Math.min(...rss), 1),
      fmt(Math.max(...rss), 1),
      fmt(m.loadAverage, 1),
    ];
  });
}

function drift(ctx: LoadContext, done: Minute[]): string {
  const steady = firstSteadyMinute();
  const meanOf = (m: Minute) =>
    mean(ctx.samplers.rssBetween(m.startMs, m.endMs).map((s) => s.rssMb));
  const first = done[steady - 1];
  const last = done.at(-1)!;
  if (!first || first === last) return `too short to measure drift (first steady minute ${steady})`;
  const d = (meanOf(last) - meanOf(first)) / meanOf(first);
  const verdict = d <= 0.1 ? 'within' : 'NOT within';
  return `RSS drift (minute ${done.length} vs first steady minute ${steady}): ${fmt(d * 100, 1)} % (${fmt(meanOf(first), 1)} → ${fmt(meanOf(last), 1)} MiB), ${verdict} the 10 % goal`;
}

async function main(): Promise<void> {
  const rig = await startRig('soak', pinMode);
  const tracker = new UploadTracker(rig.nc);
  const samplers = new Samplers(rig.jsm, rig.pipelinePid);
  const ctx: LoadContext = { rig, tracker, samplers, drainTimeoutS: 600 };
  samplers.start();
  console.log(
    `${new Date().toISOString()} · soak ${minutes} min · ${fmt(shape.perMinute)} uploads/min from ${shape.systems} systems · ${shape.recordsPerUpload} record(s) of ~2 KB per upload · record pool ${shape.recordPool || 'off (all new)'} per system\n${rig.pinning}; pipeline pid ${rig.pipelinePid} (log ${rig.logFile})`,
  );
  await runScenario(ctx, 'warm-up', 'warm', { ...shape, perMinute: 60, seconds: 1 });
  const t0 = performance.now();
  const done: Minute[] = [];
  for (let i = 0; i < minutes; i++) {
    const m: Minute = {
      stats: newStats(`minute ${i + 1}`),
      startMs: performance.now(),
      endMs: 0,
      loadAverage: 0,
    };
    await offerLoad(rig.js, tracker, m.stats, `m${i}`, shape);
    m.endMs = performance.now();
    m.loadAverage = loadAverage1m();
    done.push(m);
    const rss = samplers.rss.at(-1)?.rssMb ?? NaN;
    console.log(`  minute ${i + 1}: ${fmt(m.stats.acked)} uploads acked, RSS ${fmt(rss, 1)} MiB`);
  }
  await drain(
    ctx,
    done.map((m) => m.stats),
  );
  samplers.stop();
  const header = ['minute', 'uploads', 'announced', 'p50 ms', 'p99 ms', 'lag max', 'RSS mean MiB'];
  console.log(
    '\n' + markdownTable([...header, 'RSS min', 'RSS max', 'load avg'], minuteRows(ctx, done)),
  );
  console.log('\n' + drift(ctx, done));
  const sum = (f: (s: RunStats) => number) => done.reduce((a, m) => a + f(m.stats), 0);
  console.log(
    `after the drain: ${fmt(sum((s) => s.owed))} never announced, ${fmt(sum((s) => s.announcedTwice))} announced twice, ${fmt(await streamMessages(rig.jsm, STREAM.deadLetters))} dead letters, ${fmt(await streamMessages(rig.jsm, STREAM.embedded))} chunks left in AKOSHA_EMBEDDED`,
  );
  const title = `soak: pipeline RSS, ${fmt(shape.perMinute)} uploads/min`;
  console.log(`RSS chart: ${writeRssChart('soak-rss', title, samplers, t0)}`);
  const logged = [...logSummary(rig.logFile)].sort((a, b) => b[1] - a[1]);
  console.log(
    `pipeline log: ${logged.map(([msg, n]) => `${n}× "${msg}"`).join(', ') || 'nothing'}`,
  );
  await rig.stop();
}

main().catch((err) => {
  console.error(err);
  process.exit(1);
});
