/**
 * What bench/query-scatter.ts measures besides the searches themselves: each writer call and
 * its reply's decode on the API side, the bare NATS round trip to the writer processes, the
 * harness's own cost, and the CPU pinning of the processes (BENCH_SCATTER_PIN).
 */
import { execFileSync } from 'node:child_process';
import { performance } from 'node:perf_hooks';
import type { Msg, NatsConnection } from '@nats-io/transport-node';
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

/** A QueryClient that records each call's round trip and, apart, its reply's decode. */
export class TimedClient extends QueryClient {
  /** every call: request out to reply checked */
  readonly calls: number[] = [];
  /** per query: its slower call */
  readonly slower: number[] = [];
  readonly decodes: number[] = [];
  private pending: number[] = [];

  override async call<T>(subject: string, body: string, check: ReplyCheck<T>): Promise<T> {
    const t = performance.now();
    const reply = await super.call(subject, body, check);
    const ms = performance.now() - t;
    this.calls.push(ms);
    this.pending.push(ms);
    return reply;
  }

  protected override decode<T>(msg: Msg, check: ReplyCheck<T>): T {
    const t = performance.now();
    const reply = super.decode(msg, check);
    this.decodes.push(performance.now() - t);
    return reply;
  }

  /** Closes one query: its slowest call is kept. */
  endQuery(): void {
    this.slower.push(Math.max(...this.pending));
    this.pending = [];
  }

  reset(): void {
    for (const list of [this.calls, this.slower, this.decodes, this.pending]) list.length = 0;
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
