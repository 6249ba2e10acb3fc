/**
 * bench:ingest's latency-vs-load curve: p50 and p99 publish → ingest-complete per steady
 * rate, both axes logarithmic, as SVG turned into PNG by rsvg-convert (librsvg2-bin); where
 * that is missing, the benchmarks' own PNG line chart (linear axes) draws it.
 */
import { spawnSync } from 'node:child_process';
import { writeFileSync } from 'node:fs';
import { lineChart } from './chart';

export interface LoadPoint {
  perMinute: number;
  p50Ms: number;
  p99Ms: number;
}

const W = 720;
const H = 420;
const PLOT = { left: 80, right: 30, top: 56, bottom: 60 };
const SERIES = [
  { key: 'p50Ms', name: 'p50', color: '#1f6fb4' },
  { key: 'p99Ms', name: 'p99', color: '#d0452b' },
] as const;

/** 1, 2, 5 × 10^n between lo and hi (ticks of a log axis). */
function logTicks(lo: number, hi: number): number[] {
  const ticks: number[] = [];
  for (let p = Math.floor(Math.log10(lo)); p <= Math.ceil(Math.log10(hi)); p++)
    for (const m of [1, 2, 5]) if (m * 10 ** p >= lo && m * 10 ** p <= hi) ticks.push(m * 10 ** p);
  return ticks;
}

const logScale = (lo: number, hi: number, a: number, b: number) => (v: number) =>
  a + ((Math.log10(v) - Math.log10(lo)) / (Math.log10(hi) - Math.log10(lo))) * (b - a);

const short = (v: number) => (v >= 1000 ? `${v / 1000}k` : String(v));

export function latencySvg(points: LoadPoint[], title: string, subtitle = ''): string {
  const loads = points.map((p) => p.perMinute);
  const values = points.flatMap((p) => [p.p50Ms, p.p99Ms]).filter((v) => v > 0);
  const [xLo, xHi] = [Math.min(...loads) / 1.5, Math.max(...loads) * 1.5];
  const [yLo, yHi] = [Math.max(0.5, Math.min(...values) / 2), Math.max(...values, 250) * 2];
  const x = logScale(xLo, xHi, PLOT.left, W - PLOT.right);
  const y = logScale(yLo, yHi, H - PLOT.bottom, PLOT.top);
  const out: string[] = [
    `<svg xmlns="http://www.w3.org/2000/svg" width="${W}" height="${H}" font-family="DejaVu Sans, sans-serif" font-size="12">`,
    `<rect width="${W}" height="${H}" fill="white"/>`,
    `<text x="${PLOT.left}" y="24" font-size="15" font-weight="bold">${title}</text>`,
    `<text x="${PLOT.left}" y="41" font-size="11" fill="#555">${subtitle}</text>`,
  ];
  for (const t of logTicks(yLo, yHi))
    out.push(
      `<line x1="${PLOT.left}" x2="${W - PLOT.right}" y1="${y(t)}" y2="${y(t)}" stroke="#e4e4e4"/>`,
      `<text x="${PLOT.left - 8}" y="${y(t) + 4}" text-anchor="end">${t}</text>`,
    );
  for (const l of loads)
    out.push(
      `<line x1="${x(l)}" x2="${x(l)}" y1="${PLOT.top}" y2="${H - PLOT.bottom}" stroke="#e4e4e4"/>`,
      `<text x="${x(l)}" y="${H - PLOT.bottom + 18}" text-anchor="middle">${short(l)}</text>`,
    );
  out.push(
    `<line x1="${PLOT.left}" x2="${W - PLOT.right}" y1="${y(250)}" y2="${y(250)}" stroke="#888" stroke-dasharray="5 4"/>`,
    `<text x="${W - PLOT.right - 4}" y="${y(250) - 5}" text-anchor="end" fill="#666">p99 target 250 ms</text>`,
    `<text x="${(PLOT.left + W - PLOT.right) / 2}" y="${H - 18}" text-anchor="middle">steady load (uploads/min, log scale)</text>`,
    `<text transform="translate(20 ${(PLOT.top + H - PLOT.bottom) / 2}) rotate(-90)" text-anchor="middle">publish → ingest-complete (ms, log scale)</text>`,
  );
  SERIES.forEach((s, k) => {
    const pts = points.map((p) => `${x(p.perMinute)},${y(Math.max(yLo, p[s.key]))}`);
    out.push(
      `<polyline points="${pts.join(' ')}" fill="none" stroke="${s.color}" stroke-width="2.5"/>`,
    );
    for (const p of points)
      out.push(
        `<circle cx="${x(p.perMinute)}" cy="${y(Math.max(yLo, p[s.key]))}" r="4" fill="${s.color}"/>`,
        // p99 above its point, p50 below: neither sits on a line
        `<text x="${x(p.perMinute) - 6}" y="${y(Math.max(yLo, p[s.key])) + (k === 0 ? 18 : -9)}" text-anchor="end" fill="${s.color}" stroke="white" stroke-width="3" paint-order="stroke">${p[s.key].toFixed(1)}</text>`,
      );
    const ly = PLOT.top + 8 + k * 18;
    out.push(
      `<line x1="${PLOT.left + 12}" x2="${PLOT.left + 36}" y1="${ly}" y2="${ly}" stroke="${s.color}" stroke-width="2.5"/>`,
      `<text x="${PLOT.left + 42}" y="${ly + 4}">${s.name}</text>`,
    );
  });
  out.push('</svg>');
  return out.join('\n');
}

/** Writes `<base>.svg` and `<base>.png`; returns the PNG's path. */
export function writeLatencyChart(
  base: string,
  points: LoadPoint[],
  title: string,
  subtitle = '',
): string {
  const svg = latencySvg(points, title, subtitle);
  writeFileSync(`${base}.svg`, svg);
  const converted = spawnSync('rsvg-convert', ['-o', `${base}.png`, `${base}.svg`]);
  if (converted.status !== 0) writeFileSync(`${base}.png`, fallbackPng(points, title));
  return `${base}.png`;
}

function fallbackPng(points: LoadPoint[], title: string): Buffer {
  return lineChart({
    title,
    xLabel: 'uploads/min',
    yLabel: 'ms',
    series: SERIES.map((s, k) => ({
      name: s.name,
      rgb: k === 0 ? [31, 111, 180] : [208, 69, 43],
      points: points.map((p): [number, number] => [p.perMinute, p[s.key]]),
    })),
  });
}
