/**
 * npm run bench:load — the load scenarios of the plan against the pipeline as its own process
 * (`bin/akosha-source.js start --roles ingest,writer`, default embedder) on a nats-server of its own:
 * baseline, target, spike, 10,000 uploads/min, then a ramp to the maximum sustainable rate.
 * Rates are totals over all systems. Options: --seconds N per scenario (default 45),
 * --step-seconds N per ramp step (25), --records N per upload (1), --pin none|generator|split.
 */
import { cpus } from 'node:os';
import { choiceOption, numberOption } from './args';
import { fmt, percentile } from './lib';
import type { LoadShape } from './load-generator';
import { findMaxSustainable, type RampResult } from './load-ramp';
import { markdownTable, scenarioTable, writeRssChart } from './load-report';
import { logSummary, startRig, type PinMode } from './load-rig';
import { Samplers } from './load-samplers';
import { runScenario, type LoadContext, type ScenarioResult } from './load-scenario';
import { UploadTracker } from './load-tracker';

const seconds = numberOption('seconds', 45);
const stepSeconds = numberOption('step-seconds', 25);
const recordsPerUpload = numberOption('records', 1);
const pinMode = choiceOption<PinMode>('pin', ['none', 'generator', 'split'], 'generator');

const SCENARIOS: { name: string; systems: number; perMinute: number }[] = [
  { name: 'baseline', systems: 10, perMinute: 10 },
  { name: 'target', systems: 100, perMinute: 100 },
  { name: 'spike', systems: 100, perMinute: 500 },
  { name: '10,000/min', systems: 100, perMinute: 10_000 },
];

/**
 * Where the ramp starts: above 10,000/min when that scenario kept up; otherwise below what
 * the pipeline ingested while saturated there, which is close to its capacity.
 */
function rampStartPerMin(tenK: ScenarioResult): number {
  const keptUp = tenK.lagAtLoadEnd <= Math.max(20, (2 * tenK.shape.perMinute) / 60);
  return Math.round(keptUp ? tenK.shape.perMinute * 1.5 : Math.max(60, tenK.achievedPerMin * 0.6));
}

const sorted = (xs: number[]) => [...xs].sort((a, b) => a - b);

function rampTable(ramp: RampResult): string {
  const rows = ramp.steps.map((s) => [
    fmt(s.perMinute),
    fmt(s.publishedPerMin),
    fmt(s.lagEnd),
    fmt(s.lagSlopePerS, 1),
    s.bounded ? 'bounded' : 'grows',
    fmt(percentile(sorted(s.stats.latenciesMs), 50), 1),
    fmt(percentile(sorted(s.stats.latenciesMs), 99), 1),
    fmt(s.stats.announcedTwice),
    fmt(s.stats.owed),
  ]);
  const header = ['offered /min', 'published /min', 'lag at step end', 'lag slope /s'];
  const tail = ['lag', 'p50 ms', 'p99 ms', 'announced twice', 'never announced'];
  return markdownTable([...header, ...tail], rows);
}

async function main(): Promise<void> {
  const rig = await startRig('load', pinMode);
  const tracker = new UploadTracker(rig.nc);
  const samplers = new Samplers(rig.jsm, rig.pipelinePid);
  const ctx: LoadContext = { rig, tracker, samplers, drainTimeoutS: 240 };
  const t0 = performance.now();
  samplers.start();
  console.log(
    `${new Date().toISOString()} · ${cpus().length} cores · nats-server ${rig.nc.info?.version} · pipeline pid ${rig.pipelinePid} (log ${rig.logFile})`,
  );
  console.log(
    `${rig.pinning}; ${recordsPerUpload} record(s) of ~2 KB per upload; ${seconds} s per scenario\n`,
  );
  const shape = (s: (typeof SCENARIOS)[number]): LoadShape => ({
    ...s,
    seconds,
    recordsPerUpload,
    recordPool: 0,
  });
  // the pipeline is ready once a first upload has gone all the way through
  await runScenario(ctx, 'warm-up', 'warm', { ...shape(SCENARIOS[0]!), perMinute: 60, seconds: 1 });
  const results: ScenarioResult[] = [];
  for (const [i, s] of SCENARIOS.entries()) {
    results.push(await runScenario(ctx, s.name, `s${i}`, shape(s)));
    console.log(`  ${s.name}: done (drain ${fmt(results.at(-1)!.drainS, 1)} s)`);
  }
  console.log('\n' + scenarioTable(results) + '\n');

  const rampFrom = rampStartPerMin(results.at(-1)!);
  console.log(`ramp from ${fmt(rampFrom)}/min, ×1.5 per ${stepSeconds} s step:`);
  const ramp = await findMaxSustainable(ctx, {
    ...shape(SCENARIOS[3]!),
    perMinute: rampFrom,
    seconds: stepSeconds,
  });
  samplers.stop();
  console.log('\n' + rampTable(ramp));
  console.log(
    `\nmaximum sustainable: ${fmt(ramp.maxBoundedPerMin)} uploads/min (${fmt(ramp.maxBoundedPerMin / 60)}/s); after the ramp's drain (${fmt(ramp.drainS)} s): ${fmt(ramp.deadLetters)} dead letters, ${fmt(ramp.embeddedLeft)} chunks left in AKOSHA_EMBEDDED`,
  );
  const starts = [
    ...results.map((r) => ({ atMs: r.stats.firstDueMs, label: r.stats.name })),
    { atMs: ramp.steps[0]!.stats.firstDueMs, label: 'ramp' },
  ];
  const chart = writeRssChart('load-rss', 'bench:load pipeline RSS', samplers, t0, starts);
  console.log(`RSS chart: ${chart}`);
  const logged = [...logSummary(rig.logFile)].sort((a, b) => b[1] - a[1]);
  console.log(`pipeline log: ${logged.map(([m, n]) => `${n}× "${m}"`).join(', ') || 'nothing'}`);
  await rig.stop();
}

main().catch((err) => {
  console.error(err);
  process.exit(1);
});
