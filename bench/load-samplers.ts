/**
 * Background sampling of the load benchmarks: consumer lag (num_pending + num_ack_pending of
 * the ingest consumer and of the writer consumers) every second, and the pipeline process's
 * RSS (VmRSS) every two seconds, both on this process's clock (performance.now()).
 */
import { readFileSync } from 'node:fs';
import type { JetStreamManager } from '@nats-io/jetstream';
import { INGEST_CONSUMER, STREAM } from '../streams/definitions';

export interface LagSample {
  atMs: number;
  ingest: number;
  writers: number;
}

export interface RssSample {
  atMs: number;
  rssMb: number;
}

/** Resident set size of a process in MiB; NaN once it is gone. */
export function rssMbOf(pid: number): number {
  try {
    const kb = /VmRSS:\s+(\d+)/.exec(readFileSync(`/proc/${pid}/status`, 'utf8'))?.[1];
    return kb ? Number(kb) / 1024 : NaN;
  } catch {
    return NaN;
  }
}

/** CPU seconds (user + system) a process has used; 0 where /proc has none. */
export function cpuSecondsOf(pid: number): number {
  try {
    const fields = readFileSync(`/proc/${pid}/stat`, 'utf8').split(') ')[1]!.split(' ');
    return (Number(fields[11]) + Number(fields[12])) / 100; // utime, stime in 1/100 s
  } catch {
    return 0;
  }
}

/** The machine's 1-minute load average: how many others wanted the two cores meanwhile. */
export function loadAverage1m(): number {
  try {
    return Number(readFileSync('/proc/loadavg', 'utf8').split(' ')[0]);
  } catch {
    return NaN;
  }
}

export async function consumerLag(jsm: JetStreamManager): Promise<Omit<LagSample, 'atMs'>> {
  const ingest = await jsm.consumers.info(STREAM.uploads, INGEST_CONSUMER);
  let writers = 0;
  for await (const c of jsm.consumers.list(STREAM.embedded))
    if (c.config.durable_name) writers += c.num_pending + c.num_ack_pending;
  return { ingest: ingest.num_pending + ingest.num_ack_pending, writers };
}

/** Messages in a stream (dead letters; chunks left in the work-queue hand-off stream). */
export async function streamMessages(jsm: JetStreamManager, stream: string): Promise<number> {
  return (await jsm.streams.info(stream)).state.messages;
}

export class Samplers {
  readonly lag: LagSample[] = [];
  readonly rss: RssSample[] = [];
  private readonly timers: NodeJS.Timeout[] = [];
  private lagBusy = false;

  constructor(
    private readonly jsm: JetStreamManager,
    private readonly pid: number,
  ) {}

  start(): void {
    this.timers.push(setInterval(() => void this.sampleLag(), 1000));
    this.timers.push(setInterval(() => this.sampleRss(), 2000));
    this.sampleRss();
  }

  stop(): void {
    for (const t of this.timers) clearInterval(t);
  }

  private sampleRss(): void {
    const rssMb = rssMbOf(this.pid);
    if (!Number.isNaN(rssMb)) this.rss.push({ atMs: performance.now(), rssMb });
  }

  /** One poll at a time: a slow broker answer must not pile requests up. */
  private async sampleLag(): Promise<void> {
    if (this.lagBusy) return;
    this.lagBusy = true;
    try {
      this.lag.push({ atMs: performance.now(), ...(await consumerLag(this.jsm)) });
    } catch {
      // a missed sample under load is a gap, not a failure of the run
    } finally {
      this.lagBusy = false;
    }
  }

  lagBetween(fromMs: number, toMs: number): LagSample[] {
    return this.lag.filter((s) => s.atMs >= fromMs && s.atMs <= toMs);
  }

  rssBetween(fromMs: number, toMs: number): RssSample[] {
    return this.rss.filter((s) => s.atMs >= fromMs && s.atMs <= toMs);
  }
}
