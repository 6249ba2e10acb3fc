/**
 * HTTP load for bench/query.ts: wrk (C, one thread, a Lua script that rotates prebuilt request
 * bodies) pinned to its own core, or autocannon in a child process where wrk is missing.
 */
import { spawn, spawnSync } from 'node:child_process';
import { rmSync, writeFileSync } from 'node:fs';
import { join } from 'node:path';
import { tempDir } from './lib';
import type { LoadJob, LoadResult } from './query-load';

export type LoadTool = 'wrk' | 'autocannon';

/** A load run's result, and this process's CPU (µs) from the generator's start to its exit. */
export interface RunOutput {
  result: LoadResult;
  serverCpuUs: number;
}

const found = new Map<string, boolean>();
/** Whether `cmd` runs here; asked once (a spawn from a large process costs a fork). */
function installed(cmd: string, args: string[]): boolean {
  let yes = found.get(cmd);
  if (yes === undefined) {
    yes = spawnSync(cmd, args, { stdio: 'ignore' }).error === undefined;
    found.set(cmd, yes);
  }
  return yes;
}

export const wrkAvailable = (): boolean => installed('wrk', ['--version']);
const tasksetAvailable = (): boolean => installed('taskset', ['-V']);

/** This process's CPU (user + system, µs) since `start`, where start = process.cpuUsage(). */
export function cpuSince(start: NodeJS.CpuUsage): number {
  const used = process.cpuUsage(start);
  return used.user + used.system;
}

/**
 * Binds every thread of `pid` (and the threads it starts later) to `cpus` (`0`, `0-1`);
 * false where taskset is missing or refuses.
 */
export function pinProcess(pid: number, cpus: string): boolean {
  if (!tasksetAvailable()) return false;
  return spawnSync('taskset', ['-a', '-cp', cpus, String(pid)], { stdio: 'ignore' }).status === 0;
}

/** A Lua long string whose brackets do not occur in the text. */
function luaString(text: string): string {
  let eq = '';
  while (text.includes(`]${eq}]`)) eq += '=';
  return `[${eq}[${text}]${eq}]`;
}

/**
 * The wrk script: requests formatted once in `init`, rotated per request; non-2xx answers and
 * 2xx answers without `expect` are counted per thread and summed in `done` (one JSON line).
 */
export function wrkScript(job: LoadJob): string {
  const bodies = job.bodies.length > 0 ? job.bodies : [''];
  return `
local method = ${luaString(job.bodies.length > 0 ? 'POST' : 'GET')}
local path = ${luaString(job.path ?? '/api/v1/search')}
local expect = ${job.expect === undefined ? 'nil' : luaString(job.expect)}
local headers = {
${Object.entries(job.headers ?? {})
  .map(([k, v]) => `  [ ${luaString(k)} ] = ${luaString(v)},`)
  .join('\n')}
}
local bodies = {
${bodies.map((b) => `  ${luaString(b)},`).join('\n')}
}
local formatted = {}
local n = ${Math.max(0, Math.floor(job.startAt ?? 0)) % Math.max(1, bodies.length)} - 1
non2xx = 0
mismatches = 0
function init(args)
  if method == "POST" then headers["content-type"] = "application/json" end
  for i, b in ipairs(bodies) do
    formatted[i] = wrk.format(method, path, headers, method == "POST" and b or nil)
  end
end
function request()
  n = n + 1
  return formatted[(n % #formatted) + 1]
end
function response(status, hdrs, body)
  if status < 200 or status > 299 then non2xx = non2xx + 1
  elseif expect and not string.find(body, expect, 1, true) then mismatches = mismatches + 1 end
end
local threads = {}
function setup(thread) table.insert(threads, thread) end
function done(summary, latency, requests)
  local bad, mismatched = 0, 0
  for _, t in ipairs(threads) do
    bad = bad + t:get("non2xx")
    mismatched = mismatched + t:get("mismatches")
  end
  local e = summary.errors
  io.write(string.format(
    'WRK_JSON {"requests":%d,"duration_us":%d,"errors":%d,"timeouts":%d,"non2xx":%d,"mismatches":%d,"p50_us":%d,"p99_us":%d}\\n',
    summary.requests, summary.duration, e.connect + e.read + e.write, e.timeout, bad, mismatched,
    latency:percentile(50), latency:percentile(99)))
end
`;
}

interface WrkSummary {
  requests: number;
  duration_us: number;
  errors: number;
  timeouts: number;
  non2xx: number;
  mismatches: number;
  p50_us: number;
  p99_us: number;
}

export function parseWrkOutput(stdout: string): LoadResult {
  const line = stdout.split('\n').find((l) => l.startsWith('WRK_JSON '));
  if (!line) throw new Error(`wrk printed no summary:\n${stdout.slice(-2000)}`);
  const s = JSON.parse(line.slice('WRK_JSON '.length)) as WrkSummary;
  const durationS = s.duration_us / 1e6;
  const ok = s.requests - s.non2xx - s.mismatches;
  return {
    durationS,
    ok,
    perSecond: ok / durationS,
    p50: s.p50_us / 1000,
    p99: s.p99_us / 1000,
    errors: s.errors,
    timeouts: s.timeouts,
    non2xx: s.non2xx,
    mismatches: s.mismatches,
  };
}

/** One wrk run (one thread, `job.connections` connections), on `cpus` when given. */
export async function runWrk(job: LoadJob, cpus?: string): Promise<RunOutput> {
  const dir = tempDir('wrk');
  const script = join(dir, 'load.lua');
  writeFileSync(script, wrkScript(job));
  const wrk = ['-t1', `-c${job.connections}`, `-d${job.durationS}s`, '--timeout', '10s'];
  const argv = [...wrk, '-s', script, job.url];
  const [cmd, args] =
    cpus !== undefined && tasksetAvailable()
      ? ['taskset', ['-c', cpus, 'wrk', ...argv]]
      : ['wrk', argv];
  try {
    const { stdout, serverCpuUs } = await output(cmd, args as string[]);
    return { result: parseWrkOutput(stdout), serverCpuUs };
  } finally {
    rmSync(dir, { recursive: true, force: true });
  }
}

/** The command's output, and this process's CPU while it ran (not the spawn's own fork). */
function output(cmd: string, args: string[]): Promise<{ stdout: string; serverCpuUs: number }> {
  const child = spawn(cmd, args, { stdio: ['ignore', 'pipe', 'pipe'] });
  const started = process.cpuUsage();
  let stdout = '';
  let stderr = '';
  child.stdout.on('data', (d: Buffer) => (stdout += d.toString()));
  child.stderr.on('data', (d: Buffer) => (stderr += d.toString()));
  return new Promise((resolve, reject) => {
    child.once('error', reject);
    child.once('exit', (code) => {
      const serverCpuUs = cpuSince(started);
      if (code === 0) resolve({ stdout, serverCpuUs });
      else reject(new Error(`${cmd} exited ${code}: ${stderr}${stdout.slice(-2000)}`));
    });
  });
}
