/**
 * What bench/query-scatter.ts measures besides the searches themselves: each writer call and
 * its reply's decode on the API side, the bare NATS round trip to the writer processes, the
 * harness's own cost, and the CPU pinning (BENCH_SCATTER_PIN) and priority (BENCH_SCATTER_NICE)
 * of the processes.
 */
import { execFileSync } from 'node:child_process';
import { readdirSync } from 'node:fs';
import { setPriority } from 'node:os';
import { performance } from 'node:perf_hooks';
import type { NatsConnection } from '@nats-io/transport-node';
import { QueryClient } from '../api/remote/query-client';
import type { ReplyCheck } from '../api/remote/replies';
import { percentile } from './lib';

export const p50 = (xs: number[]) =>
  percentile(
    [...xs].sort((a, b) => a - b),
    50,
  );
export const p99 = (xs: number[]) =>
  percentile(
    [...xs].sort((a, b) => a - b),
    99,
  );

/** One subject's calls, in order: request out to reply checked, and of that the reply's decode. */
export interface CallTimes {
  total: number[];
  decode: number[];
}

/** A QueryClient that records each call's round trip and, apart, its reply's decode. */
export class TimedClient extends QueryClient {
  readonly bySubject = new Map<string, CallTimes>();
  /** per query: its slower call */
  readonly slower: number[] = [];
  private pending: number[] = [];

  override async call<T>(subject: string, body: string, check: ReplyCheck<T>): Promise<T> {
    const t0 = performance.now();
    const msg = await this.send(subject, body);
    const t1 = performance.now();
    const reply = this.decode(msg, check);
    const t2 = performance.now();
    let times = this.bySubject.get(subject);
    if (!times) this.bySubject.set(subject, (times = { total: [], decode: [] }));
    times.total.push(t2 - t0);
    times.decode.push(t2 - t1);
    this.pending.push(t2 - t0);
    return reply;
  }

  /** Every call's round trip. */
  get calls(): number[] {
    return [...this.bySubject.values()].flatMap((t) => t.total);
  }

  /** Closes one query: its slowest call is kept. */
  endQuery(): void {
    this.slower.push(Math.max(...this.pending));
    this.pending = [];
  }

  reset(): void {
    this.bySubject.clear();
    this.slower.length = this.pending.length = 0;
  }
}

/** Empty requests to every writer's echo subject at once, as a scatter asks them. */
export class EchoProbe {
  readonly calls: number[] = [];
  readonly slower: number[] = [];

  constructor(
    private readonly nc: NatsConnection,
    private readonly subjects: string[],
  ) {}

  async round(): Promise<void> {
    const times = await Promise.all(
      this.subjects.map(async (subject) => {
        const t = performance.now();
        await this.nc.request(subject, undefined, { timeout: 2500 });
        return performance.now() - t;
      }),
    );
    this.calls.push(...times);
    this.slower.push(Math.max(...times));
  }
}

/**
 * The harness's own cost per query, in ms: the timings it takes (performance.now and a push,
 * about 10 on the API side and 4 in each writer) measured in a loop of a million.
 */
export function harnessCostMs(timingsPerQuery = 18): number {
  const sink: number[] = [];
  const n = 1_000_000;
  const t = performance.now();
  for (let i = 0; i < n; i++) {
    const s = performance.now();
    sink.push(performance.now() - s);
    if (sink.length > 1000) sink.length = 0;
  }
  return ((performance.now() - t) / n) * (timingsPerQuery / 2);
}

/**
 * BENCH_SCATTER_PIN: the CPU of the API process (this one), nats-server and the two writers,
 * e.g. `0,0,1,1`; `*` leaves one unpinned. Unset: none is pinned.
 */
export function pinning(): { api: string; nats: string; writers: [string, string] } | undefined {
  const spec = process.env.BENCH_SCATTER_PIN;
  if (!spec) return undefined;
  const cpus = spec.split(',').map((c) => c.trim());
  if (cpus.length !== 4 || cpus.some((c) => c !== '*' && !/^\d+$/.test(c)))
    throw new Error('BENCH_SCATTER_PIN is 4 CPUs (or *): api, nats-server, writer 1, writer 2');
  const [api, nats, w1, w2] = cpus as [string, string, string, string];
  return { api, nats, writers: [w1, w2] };
}

/** Every thread of a process (and those it starts later) onto one CPU. */
export function pin(pid: number | undefined, cpu: string): void {
  if (pid === undefined || cpu === '*') return;
  execFileSync('taskset', ['-a', '-p', '-c', cpu, String(pid)], { stdio: 'ignore' });
}

/**
 * BENCH_SCATTER_NICE (e.g. -10; unset: unchanged): the priority of every thread of the
 * measured processes, so that other work on the machine disturbs the measurement less.
 */
export function prioritise(pid: number | undefined): void {
  const nice = process.env.BENCH_SCATTER_NICE;
  if (pid === undefined || !nice) return;
  for (const tid of readdirSync(`/proc/${pid}/task`)) setPriority(Number(tid), Number(nice));
}
