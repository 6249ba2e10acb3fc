/**
 * What bench:ingest prints: the machine, each steady phase's latency stage by stage, and the
 * CPU that the bench itself, the pipeline and nats-server spent meanwhile.
 */
import { cpus, loadavg } from 'node:os';
import type { PhaseEvents } from './ingest-events';
import { fmt, percentile } from './lib';
import { cpuSecondsOf } from './load-samplers';

export interface Quantiles {
  p50: number;
  p99: number;
  max: number;
}

export function quantiles(values: number[]): Quantiles {
  const sorted = values.filter((v) => Number.isFinite(v)).sort((a, b) => a - b);
  return {
    p50: percentile(sorted, 50),
    p99: percentile(sorted, 99),
    max: sorted.length ? sorted[sorted.length - 1]! : NaN,
  };
}

/** Each step's [name, from, to] over the event's stamps (publish, embed received, …, event). */
const STEPS: [string, number, number][] = [
  ['publish → embed received', 0, 1],
  ['embed received → hand-off stored', 1, 2],
  ['hand-off stored → writer received', 2, 3],
  ['writer received → COMMIT', 3, 4],
  ['COMMIT → event received', 4, 5],
];

export interface Breakdown {
  total: Quantiles;
  steps: { name: string; q: Quantiles }[];
}

/** Publish → event per upload (from the send times), and each traced step. */
export function breakdown(phase: PhaseEvents, sentAtMs: Float64Array): Breakdown {
  const totals = Array.from(sentAtMs, (sent, i) => phase.eventAtMs[i]! - sent);
  const at = (k: number, i: number) => (k === 5 ? phase.eventAtMs[i]! : phase.stamps[k]![i]!);
  const steps = STEPS.map(([name, from, to]) => ({
    name,
    q: quantiles(Array.from(sentAtMs, (_, i) => at(to, i) - at(from, i))),
  }));
  return { total: quantiles(totals), steps };
}

const ms = (v: number) => `${fmt(v, 1)} ms`;

export function printBreakdown(b: Breakdown): void {
  for (const { name, q } of b.steps)
    console.log(
      `    ${name.padEnd(36)} p50 ${ms(q.p50).padStart(10)}   p99 ${ms(q.p99).padStart(10)}`,
    );
}

/** Cores, Node, nats-server and the load average: what the figures were measured on. */
export function machineLine(natsVersion: string): string {
  const model = cpus()[0]?.model.trim() ?? 'unknown CPU';
  const [one, five] = loadavg();
  return (
    `machine: ${cpus().length} cores (${model}), Node ${process.version}, nats-server ${natsVersion}; ` +
    `load average ${fmt(one!, 2)} (1 min), ${fmt(five!, 2)} (5 min)`
  );
}

/** The same, short enough for a chart's subtitle. */
export function machineShort(natsVersion: string): string {
  return (
    `${cpus().length} cores · Node ${process.version} · nats-server ${natsVersion} · ` +
    `load average ${fmt(loadavg()[0]!, 1)}`
  );
}

/** CPU time over a span: this process (the harness), the pipeline's and nats-server's. */
export class CpuMeter {
  private startSelf = process.cpuUsage();
  private startPids: number[] = [];
  private startedMs = performance.now();

  /** `akosha`: its process, or each of its processes (their CPU is summed) */
  constructor(private readonly pids: { akosha: number | number[]; nats: number }) {}

  private akoshaSeconds(): number {
    return [this.pids.akosha].flat().reduce((sum, pid) => sum + cpuSecondsOf(pid), 0);
  }

  start(): void {
    this.startSelf = process.cpuUsage();
    this.startPids = [this.akoshaSeconds(), cpuSecondsOf(this.pids.nats)];
    this.startedMs = performance.now();
  }

  /** Share of one core each used since start(), and CPU per upload (none: an idle span). */
  stop(uploads: number): string {
    const seconds = (performance.now() - this.startedMs) / 1000;
    const self = process.cpuUsage(this.startSelf);
    const selfSeconds = (self.user + self.system) / 1e6;
    const akosha = this.akoshaSeconds() - this.startPids[0]!;
    const nats = cpuSecondsOf(this.pids.nats) - this.startPids[1]!;
    const pct = (s: number) => `${fmt((s / seconds) * 100)} %`;
    const per = (s: number, unit: number, label: string) =>
      uploads ? ` (${fmt((s / uploads) * unit, 1)} ${label}/upload)` : '';
    return (
      `CPU (% of one core): harness ${pct(selfSeconds)}${per(selfSeconds, 1e6, 'µs')}, ` +
      `akosha ${pct(akosha)}${per(akosha, 1000, 'ms')}, nats-server ${pct(nats)}; ` +
      `load average ${fmt(loadavg()[0]!, 2)}`
    );
  }
}
