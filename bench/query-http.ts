/**
 * The HTTP half of bench/query.ts: the API's Fastify server on 127.0.0.1 in this process,
 * loaded by wrk (or autocannon) with this process on one core and the load on the other,
 * each run's server CPU per request, and the load generator's own CPU.
 */
import { fork } from 'node:child_process';
import { readFileSync } from 'node:fs';
import type { AddressInfo } from 'node:net';
import { availableParallelism } from 'node:os';
import type { JetStreamClient } from '@nats-io/jetstream';
import type { AuditSink } from '../audit';
import type { Authenticator } from '../auth';
import { buildHttpServer } from '../api/http';
import type { Searcher } from '../api/query-backend';
import type { Embedder } from '../embedding';
import { createMetrics } from '../infra/metrics';
import { envInt, fmt } from './lib';
import type { LoadJob, LoadResult } from './query-load';
import {
  cpuSince,
  pinProcess,
  runWrk,
  wrkAvailable,
  type LoadTool,
  type RunOutput,
} from './query-wrk';

export interface HttpPlan {
  connections: number;
  durationS: number;
  warmupS: number;
  /** runs per measurement; the run of median throughput is kept */
  runs: number;
  /** this process (the server) on SERVER_CPU, the load generator on LOAD_CPU */
  pin: boolean;
  tool: LoadTool;
}

const SERVER_CPU = '0';
export const LOAD_CPU = '1';
/** the most AKOSHA_RATE_LIMIT_PER_MIN allows: the limiter stays on the path, never refuses */
export const RATE_PER_MINUTE = 100_000_000;

export function httpPlan(): HttpPlan {
  const forced = process.env.BENCH_LOAD_TOOL;
  const tool: LoadTool = forced === 'autocannon' || !wrkAvailable() ? 'autocannon' : 'wrk';
  return {
    connections: envInt('BENCH_CONNECTIONS', 32),
    durationS: envInt('BENCH_DURATION_S', 15),
    warmupS: envInt('BENCH_WARMUP_S', 3),
    runs: Math.max(1, envInt('BENCH_RUNS', 1)),
    pin: process.env.BENCH_PIN !== '0' && availableParallelism() >= 2,
    tool,
  };
}

export const describePlan = (p: HttpPlan): string =>
  `${p.tool === 'wrk' ? 'wrk, 1 thread' : 'autocannon in a child process'}, ${p.connections} connections, ` +
  `${p.durationS} s after ${p.warmupS} s warm-up, median of ${p.runs} run${p.runs > 1 ? 's' : ''}; ` +
  (p.pin
    ? `server (this process) on core ${SERVER_CPU}, load generator on core ${LOAD_CPU}`
    : 'not pinned');

export interface BenchServerDeps {
  search: Searcher;
  embedder: Embedder;
  authenticator?: Authenticator | undefined;
  audit?: AuditSink | undefined;
}

/** The API's HTTP server, as the api role builds it, for the bench's search. */
export async function startBenchServer(deps: BenchServerDeps) {
  const app = buildHttpServer({
    js: {} as JetStreamClient, // the search route does not touch NATS
    maxPayloadBytes: 1 << 20,
    metrics: createMetrics(),
    ...deps,
    limits: { ratePerMinute: RATE_PER_MINUTE },
    readiness: () => ({
      ready: true,
      consuming: true,
      nats: 'none',
      roles: ['api'],
      embedder: 'hashing',
    }),
  });
  await app.listen({ host: '127.0.0.1', port: 0 });
  const url = `http://127.0.0.1:${(app.server.address() as AddressInfo).port}`;
  return { url, close: () => app.close() };
}

/** One load run with what it cost: this process's CPU and the load generator's, per request. */
export interface MeasuredLoad extends LoadResult {
  serverUsPerRequest: number;
  loadUsPerRequest: number;
}

function loadInChild(job: LoadJob, cpus: string | undefined): Promise<RunOutput> {
  // fork inherits tsx's loader flags (execArgv), so the child runs the .ts file as well
  const child = fork(require.resolve('./query-load'));
  if (cpus !== undefined && child.pid !== undefined) pinProcess(child.pid, cpus);
  const started = process.cpuUsage();
  let result: LoadResult | undefined;
  child.once('message', (m) => (result = m as LoadResult));
  child.send(job);
  // settled at exit, once the child is reaped: its CPU then counts among this process's children
  return new Promise((resolve, reject) => {
    child.once('exit', (code) =>
      result
        ? resolve({ result, serverCpuUs: cpuSince(started) })
        : reject(new Error(`load generator exited with ${code}`)),
    );
  });
}

/** CPU seconds of this process's children that have exited (utime + stime, /proc/self/stat). */
function childrenCpuS(): number {
  try {
    const stat = readFileSync('/proc/self/stat', 'utf8');
    const fields = stat.slice(stat.lastIndexOf(')') + 2).split(' ');
    return (Number(fields[13]) + Number(fields[14])) / 100; // cutime, cstime at USER_HZ 100
  } catch {
    return NaN;
  }
}

const answered = (r: LoadResult) => r.ok + r.non2xx + r.mismatches;

async function loadOnce(plan: HttpPlan, job: LoadJob): Promise<MeasuredLoad> {
  const cpus = plan.pin ? LOAD_CPU : undefined;
  const children0 = childrenCpuS();
  const run = plan.tool === 'wrk' ? await runWrk(job, cpus) : await loadInChild(job, cpus);
  const r = run.result;
  const requests = Math.max(1, answered(r));
  return {
    ...r,
    serverUsPerRequest: run.serverCpuUs / requests,
    loadUsPerRequest: ((childrenCpuS() - children0) * 1e6) / requests,
  };
}

/**
 * A warm-up run, then `plan.runs` runs, each continuing the bodies' rotation where the last
 * stopped (no body comes back before all the others have had their turn); the run of median
 * throughput.
 */
export async function measureLoad(plan: HttpPlan, job: LoadJob): Promise<MeasuredLoad> {
  let startAt = job.startAt ?? 0;
  const warm = await loadOnce(plan, { ...job, startAt, durationS: plan.warmupS });
  startAt += answered(warm);
  const runs: MeasuredLoad[] = [];
  for (let i = 0; i < plan.runs; i++) {
    const run = await loadOnce(plan, { ...job, startAt });
    startAt += answered(run);
    runs.push(run);
  }
  runs.sort((a, b) => a.perSecond - b.perSecond);
  return runs[Math.floor(runs.length / 2)]!;
}

/** `work` with this process on SERVER_CPU (when the plan pins), all cores again afterwards. */
export async function pinned<T>(plan: HttpPlan, work: () => Promise<T>): Promise<T> {
  if (!plan.pin || !pinProcess(process.pid, SERVER_CPU)) return work();
  try {
    return await work();
  } finally {
    pinProcess(process.pid, `0-${availableParallelism() - 1}`);
  }
}

export const failuresOf = (r: LoadResult) => r.errors + r.timeouts + r.non2xx + r.mismatches;

export function loadLine(r: MeasuredLoad): string {
  return (
    `${fmt(r.perSecond)}/s (${fmt(r.ok)} in ${fmt(r.durationS, 1)} s), p50 ${fmt(r.p50, 1)} ms, ` +
    `p99 ${fmt(r.p99, 1)} ms, server CPU ${fmt(r.serverUsPerRequest)} µs/request, ` +
    `load generator ${fmt(r.loadUsPerRequest)} µs/request, ${failuresOf(r)} failed`
  );
}
