/**
 * Search under ingest: `akosha start` (roles ingest,writer,api; the query cache off) as its own
 * process on a nats-server of its own; with BENCH_INGEST_LAYOUT=roles, as deployed instead:
 * three processes, `--roles ingest`, `--roles writer` (its query endpoint answers the API's
 * searches) and `--roles api`; with BENCH_INGEST_LAYOUT=split, two: the embed stage
 * (`--roles ingest`) apart from a writer that serves HTTP itself (`--roles writer,api`).
 * HOT records are ingested first (uploads of RECORDS records each, as fast as the pipeline
 * takes them: its sustainable rate). Then one client searches in a loop
 * (bench/search-client.ts), first for SEARCH_S seconds idle, then for SEARCH_S seconds while
 * uploads are offered at a steady rate: LOAD_PCT % of the rate the first step measured, or
 * RATE uploads/s when set.
 *
 *   npx tsx bench/query-under-ingest.ts                      # alone
 *   BENCH_INGEST_HOT=100000 BENCH_INGEST_SEARCH_S=20 npx tsx bench/query-under-ingest.ts
 *
 * Env: BENCH_INGEST_HOT (20,000 records), BENCH_INGEST_RECORDS (50 per upload),
 * BENCH_INGEST_RECORD_BYTES (1,000), BENCH_INGEST_SEARCH_S (15), BENCH_INGEST_LOAD_PCT (80),
 * BENCH_INGEST_RATE (uploads/s; unset: LOAD_PCT of the measured rate), BENCH_INGEST_LAYOUT
 * (`one` process, `split` or `roles`), BENCH_CPU_PROF=<dir> (CPU profiles of the akosha
 * processes). AKOSHA_* settings pass through to the processes.
 */
import type { ChildProcess } from 'node:child_process';
import { createServer } from 'node:net';
import { join } from 'node:path';
import { jetstream, type JetStreamClient } from '@nats-io/jetstream';
import { connect } from '@nats-io/transport-node';
import { loadConfig } from '../infra/config';
import { startNatsServer } from '../infra/nats-server';
import { applyTopology } from '../streams/apply';
import { EventTracker, waitForEvents, type PhaseEvents } from './ingest-events';
import { publishPaced, publishWindowed } from './ingest-load';
import { CpuMeter, machineLine, quantiles } from './ingest-report';
import { RATE_PER_MINUTE } from './query-http';
import { envInt, fmt, sleep, tempDir } from './lib';
import { startSearchLoop } from './search-client';
import { exited, spawnPipeline } from './pipeline-process';
import { prepareRecordUploads } from './under-ingest-uploads';

const HOT = envInt('BENCH_INGEST_HOT', 20_000);
const RECORDS = Math.max(1, envInt('BENCH_INGEST_RECORDS', 50));
const RECORD_BYTES = envInt('BENCH_INGEST_RECORD_BYTES', 1000);
const SEARCH_S = envInt('BENCH_INGEST_SEARCH_S', 15);
const LOAD_PCT = envInt('BENCH_INGEST_LOAD_PCT', 80);
const RATE = envInt('BENCH_INGEST_RATE', 0);
const LAYOUTS: Record<string, string[]> = {
  one: ['ingest,writer,api'],
  split: ['ingest', 'writer,api'],
  roles: ['ingest', 'writer', 'api'],
};
const LAYOUT = process.env.BENCH_INGEST_LAYOUT ?? 'one';
const GOAL_P99_MS = 50;

export interface SearchPhase {
  label: string;
  searches: number;
  failed: number;
  p50: number;
  p99: number;
  max: number;
  cpu: string;
  /** records whose event came within the phase, per second (0 when idle) */
  recordsPerS: number;
  /** uploads offered per second (0 when idle) */
  offeredPerS: number;
}

export interface UnderIngestResult {
  machine: string;
  /** the processes: `akosha start --roles …` of each */
  layout: string;
  hot: number;
  /** records/s while filling the hot tier as fast as the pipeline took them */
  fillRecordsPerS: number;
  idle: SearchPhase;
  ingesting: SearchPhase;
  /** after the phase's last publish, until its last event */
  drainS: number;
}

const freePort = () =>
  new Promise<number>((resolve) => {
    const s = createServer().listen(0, '127.0.0.1', () => {
      const port = (s.address() as { port: number }).port;
      s.close(() => resolve(port));
    });
  });

/** The roles of each akosha process of the layout; the last one serves HTTP. */
const PROCESS_ROLES = rolesOf(LAYOUT);

function rolesOf(layout: string): string[] {
  const roles = LAYOUTS[layout];
  if (!roles) throw new Error(`BENCH_INGEST_LAYOUT: one of ${Object.keys(LAYOUTS).join(', ')}`);
  return roles;
}

function spawnAkosha(natsUrl: string, dataDir: string, port: number): ChildProcess[] {
  return PROCESS_ROLES.map((roles, i) =>
    spawnPipeline(natsUrl, join(dataDir, String(i)), roles, {
      AKOSHA_HTTP_PORT: String(i === PROCESS_ROLES.length - 1 ? port : 0),
      AKOSHA_AUTH: 'off',
      AKOSHA_QUERY_CACHE: 'off',
      AKOSHA_RATE_LIMIT_PER_MIN: String(RATE_PER_MINUTE),
    }),
  );
}

async function waitReady(url: string, timeoutMs = 120_000): Promise<void> {
  const deadline = Date.now() + timeoutMs;
  while (Date.now() < deadline) {
    const ok = await fetch(`${url}/ready`).then(
      (r) => r.ok,
      () => false,
    );
    if (ok) return;
    await sleep(250);
  }
  throw new Error(`akosha not ready at ${url} within ${timeoutMs} ms`);
}

/** Fills the hot tier as fast as the pipeline takes it; its records/s. */
async function fill(js: JetStreamClient, tracker: EventTracker): Promise<number> {
  const uploads = prepareRecordUploads('fill', Math.ceil(HOT / RECORDS), RECORDS, RECORD_BYTES);
  const phase = tracker.expect('fill', uploads.length);
  const started = performance.timeOrigin + performance.now();
  await publishWindowed(js, uploads, 20);
  await waitForEvents(phase);
  return (uploads.length * RECORDS) / ((Math.max(...phase.eventAtMs) - started) / 1000);
}

function summarise(label: string, r: { latencies: number[]; failed: number }, cpu: string) {
  const q = quantiles(r.latencies);
  const base = { label, searches: r.latencies.length, failed: r.failed, cpu };
  return { ...base, ...q, recordsPerS: 0, offeredPerS: 0 };
}

async function searchIdle(url: string, cpu: CpuMeter): Promise<SearchPhase> {
  cpu.start();
  const stop = startSearchLoop(url);
  await sleep(SEARCH_S * 1000);
  const r = await stop();
  return summarise('idle', r, cpu.stop(0));
}

/** Records per second whose event arrived between `fromMs` and `toMs`. */
function recordsPerS(phase: PhaseEvents, fromMs: number, toMs: number): number {
  const inWindow = phase.eventAtMs.filter((t) => t >= fromMs && t <= toMs).length;
  return (inWindow * RECORDS) / ((toMs - fromMs) / 1000);
}

async function searchIngesting(
  ctx: { js: JetStreamClient; tracker: EventTracker; url: string; cpu: CpuMeter },
  uploadsPerS: number,
): Promise<{ phase: SearchPhase; drainS: number }> {
  const count = Math.round(uploadsPerS * SEARCH_S);
  const uploads = prepareRecordUploads('busy', count, RECORDS, RECORD_BYTES);
  const events = ctx.tracker.expect('busy', count);
  ctx.cpu.start();
  const from = performance.timeOrigin + performance.now();
  const stop = startSearchLoop(ctx.url);
  await publishPaced(ctx.js, uploads, uploadsPerS * 60);
  const r = await stop();
  const to = performance.timeOrigin + performance.now();
  const phase = summarise('ingesting', r, ctx.cpu.stop(count));
  await waitForEvents(events);
  const drainS = (Math.max(...events.eventAtMs) - to) / 1000;
  return {
    phase: { ...phase, recordsPerS: recordsPerS(events, from, to), offeredPerS: uploadsPerS },
    drainS,
  };
}

export async function underIngestBench(): Promise<UnderIngestResult> {
  const dir = tempDir('under-ingest');
  const server = await startNatsServer({ storeDir: join(dir, 'nats') });
  const nc = await connect({ servers: server.url, noAsyncTraces: true });
  const js = jetstream(nc);
  await applyTopology(nc, loadConfig({}).streams);
  const machine = machineLine(nc.info?.version ?? 'unknown');
  const port = await freePort();
  const akosha = spawnAkosha(server.url, join(dir, 'data'), port);
  const url = `http://127.0.0.1:${port}`;
  try {
    await waitReady(url);
    const tracker = new EventTracker(nc);
    const fillRecordsPerS = await fill(js, tracker);
    const cpu = new CpuMeter({ akosha: akosha.map((p) => p.pid!), nats: server.process.pid! });
    await sleep(2000); // the fill's last acks and index work settle
    const idle = await searchIdle(url, cpu);
    const rate = RATE || Math.max(1, Math.round(((fillRecordsPerS / RECORDS) * LOAD_PCT) / 100));
    const busy = await searchIngesting({ js, tracker, url, cpu }, rate);
    const layout = PROCESS_ROLES.join(' + ');
    const { phase: ingesting, drainS } = busy;
    return { machine, layout, hot: HOT, fillRecordsPerS, idle, ingesting, drainS };
  } finally {
    await Promise.all(akosha.map(stopProcess));
    await nc.close();
    await server.stop();
  }
}

function stopProcess(child: ChildProcess): Promise<void> {
  child.kill('SIGTERM');
  return exited(child);
}

export function printUnderIngest(r: UnderIngestResult): void {
  console.log(`\n## search under ingest (akosha start: ${r.layout}; query cache off)`);
  console.log(r.machine);
  console.log(
    `hot: ${fmt(r.hot)} records in uploads of ${RECORDS} (${fmt(RECORD_BYTES)} B each), ` +
      `filled at ${fmt(r.fillRecordsPerS)} records/s; one client searching for ${SEARCH_S} s per phase`,
  );
  console.log('\n| phase | searches answered | p50 | p99 | max | ingest | CPU |');
  console.log('| --- | --- | --- | --- | --- | --- | --- |');
  for (const p of [r.idle, r.ingesting]) {
    const ingest = p.offeredPerS
      ? `${fmt(p.offeredPerS)} uploads/s offered, ${fmt(p.recordsPerS)} records/s done`
      : '-';
    console.log(
      `| ${p.label} | ${fmt(p.searches)}${p.failed ? ` (${p.failed} failed)` : ''} | ` +
        `${fmt(p.p50, 1)} ms | ${fmt(p.p99, 1)} ms | ${fmt(p.max, 1)} ms | ${ingest} | ${p.cpu} |`,
    );
  }
  const met = r.ingesting.p99 <= GOAL_P99_MS ? 'met' : 'NOT met';
  console.log(
    `\nlast event ${fmt(r.drainS, 1)} s after the last publish; ` +
      `target: search p99 ≤ ${GOAL_P99_MS} ms while ingesting → ${met}`,
  );
}

if (require.main === module) {
  underIngestBench().then(
    (r) => {
      printUnderIngest(r);
      process.exit(0);
    },
    (err: unknown) => {
      console.error(err);
      process.exit(1);
    },
  );
}
