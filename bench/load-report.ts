/** Tables of the load benchmarks, as Markdown so that a run can go into the README as it is. */
import { mkdirSync, writeFileSync } from 'node:fs';
import { join } from 'node:path';
import { lineChart } from './chart';
import { fmt, percentile } from './lib';
import type { Samplers } from './load-samplers';
import type { ScenarioResult } from './load-scenario';

export const RESULTS_DIR = join(__dirname, 'results');

export function markdownTable(header: string[], rows: string[][]): string {
  const widths = header.map((h, i) => Math.max(h.length, ...rows.map((r) => r[i]!.length)));
  const line = (cells: string[]) => `| ${cells.map((c, i) => c.padEnd(widths[i]!)).join(' | ')} |`;
  return [line(header), line(widths.map((w) => '-'.repeat(w))), ...rows.map(line)].join('\n');
}

const ms = (v: number) => (Number.isNaN(v) ? '–' : fmt(v, v < 100 ? 1 : 0));

export function scenarioTable(results: ScenarioResult[]): string {
  const header = [
    'scenario',
    'systems',
    'uploads',
    'offered /min',
    'published /min',
    'ingested /min',
    'p50 ms',
    'p99 ms',
    'lag max',
    'lag at load end',
    'lag / left after drain',
    'DLQ',
    'announced twice',
    'never announced',
    'RSS MiB start → max → end',
    'CPU s pipeline / nats / generator',
    'load avg',
  ];
  const rows = results.map((r) => {
    const lat = [...r.stats.latenciesMs].sort((a, b) => a - b);
    return [
      r.stats.name,
      fmt(r.shape.systems),
      fmt(r.stats.acked),
      fmt(r.shape.perMinute),
      fmt(r.publishedPerMin),
      fmt(r.achievedPerMin),
      ms(percentile(lat, 50)),
      ms(percentile(lat, 99)),
      fmt(r.lagMax),
      fmt(r.lagAtLoadEnd),
      `${fmt(r.lagFinal)} / ${fmt(r.embeddedLeft)}`,
      fmt(r.deadLetters),
      fmt(r.stats.announcedTwice),
      fmt(r.stats.owed),
      `${fmt(r.rssMb.start)} → ${fmt(r.rssMb.max)} → ${fmt(r.rssMb.end)}`,
      `${fmt(r.cpuS.pipeline, 1)} / ${fmt(r.cpuS.nats, 1)} / ${fmt(r.cpuS.generator, 1)}`,
      fmt(r.loadAverage, 1),
    ];
  });
  return markdownTable(header, rows);
}

/** Writes the samples as CSV and the pipeline's RSS as a PNG; returns the PNG's path. */
export function writeRssChart(
  name: string,
  title: string,
  samplers: Samplers,
  t0: number,
  starts: { atMs: number; label: string }[] = [],
): string {
  mkdirSync(RESULTS_DIR, { recursive: true });
  const minutes = (atMs: number) => (atMs - t0) / 60_000;
  const rss = samplers.rss.filter((s) => s.atMs >= t0);
  const csv = [
    'kind,minute,value',
    ...rss.map((s) => `rss_mib,${minutes(s.atMs).toFixed(3)},${s.rssMb.toFixed(1)}`),
    ...samplers.lag
      .filter((s) => s.atMs >= t0)
      .map((s) => `lag,${minutes(s.atMs).toFixed(3)},${s.ingest + s.writers}`),
  ];
  writeFileSync(join(RESULTS_DIR, `${name}.csv`), csv.join('\n') + '\n');
  const png = lineChart({
    title,
    xLabel: 'minutes',
    yLabel: 'RSS MIB',
    markers: starts.map((m) => ({ x: minutes(m.atMs), label: m.label })),
    series: [
      {
        name: 'pipeline RSS',
        rgb: [200, 40, 40],
        points: rss.map((s) => [minutes(s.atMs), s.rssMb]),
      },
    ],
  });
  const path = join(RESULTS_DIR, `${name}.png`);
  writeFileSync(path, png);
  return path;
}
