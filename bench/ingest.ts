/**
 * npm run bench:ingest — the whole pipeline (its own process, default embedder) beside raw
 * JetStream: sustained uploads/s, then steady rates (BENCH_RATES uploads/min, each for
 * BENCH_STEADY_SECONDS) with publish → ingest-complete p50/p99 split stage by stage from the
 * events' trace headers, the CPU each process spent, and the latency-vs-load curve as a PNG.
 * BENCH_CPU_PROF=<dir> writes a CPU profile of the pipeline process there.
 */
import { jetstream, jetstreamManager, AckPolicy, type JetStreamClient } from '@nats-io/jetstream';
import { connect, type NatsConnection } from '@nats-io/transport-node';
import type { ChildProcess } from 'node:child_process';
import { mkdirSync, writeFileSync } from 'node:fs';
import { join } from 'node:path';
import { applyTopology } from '../streams/apply';
import { loadConfig } from '../infra/config';
import { startNatsServer } from '../infra/nats-server';
import { writeLatencyChart, type LoadPoint } from './ingest-chart';
import { EventTracker, waitForEvents } from './ingest-events';
import { prepareUploads, publishPaced, publishWindowed } from './ingest-load';
import {
  breakdown,
  CpuMeter,
  machineLine,
  machineShort,
  printBreakdown,
  type Breakdown,
} from './ingest-report';
import { envInt, fmt, sleep, tempDir } from './lib';
import { RESULTS_DIR } from './load-report';
import { spawnPipeline } from './pipeline-process';

const THROUGHPUT_UPLOADS = envInt('BENCH_UPLOADS', 20_000);
const STEADY_SECONDS = envInt('BENCH_STEADY_SECONDS', 30);
const IDLE_SECONDS = envInt('BENCH_IDLE_SECONDS', 10);
const RATES = (process.env.BENCH_RATES ?? '1000,10000,30000,60000').split(',').map(Number);
const TARGET = { perMinute: 10_000, p50Ms: 30, p99Ms: 250, uploadsPerSecond: 1000 };

async function rawBaseline(nc: NatsConnection, js: JetStreamClient): Promise<number> {
  const jsm = await jetstreamManager(nc);
  await jsm.streams.add({ name: 'BENCH_RAW', subjects: ['bench.raw.>'] });
  await jsm.consumers.add('BENCH_RAW', {
    durable_name: 'raw',
    ack_policy: AckPolicy.Explicit,
    max_ack_pending: 10_000,
  });
  const consumer = await js.consumers.get('BENCH_RAW', 'raw');
  const uploads = prepareUploads('raw', THROUGHPUT_UPLOADS, (s) => `bench.raw.${s}`);
  const started = performance.now();
  let consumed = 0;
  const done = (async () => {
    const messages = await consumer.consume({ max_messages: 1000 });
    for await (const m of messages) {
      m.ack();
      if (++consumed === THROUGHPUT_UPLOADS) break;
    }
  })();
  await publishWindowed(js, uploads);
  await done;
  return THROUGHPUT_UPLOADS / ((performance.now() - started) / 1000);
}

function startAkosha(natsUrl: string, dataDir: string): ChildProcess {
  const roles = process.env.BENCH_ROLES ?? 'ingest,writer,api';
  return spawnPipeline(natsUrl, dataDir, roles, {
    AKOSHA_HTTP_PORT: process.env.BENCH_HTTP_PORT ?? '0',
  });
}

/** A few uploads through the whole pipeline: it is up, its shards attached. */
async function warmUp(js: JetStreamClient, tracker: EventTracker): Promise<void> {
  const uploads = prepareUploads('warm', 100);
  const phase = tracker.expect('warm', uploads.length);
  await publishWindowed(js, uploads, 10);
  await waitForEvents(phase, 120_000);
}

async function sustained(js: JetStreamClient, tracker: EventTracker): Promise<number> {
  const uploads = prepareUploads('tp', THROUGHPUT_UPLOADS);
  const phase = tracker.expect('tp', uploads.length);
  const started = performance.timeOrigin + performance.now();
  await publishWindowed(js, uploads);
  await waitForEvents(phase);
  return THROUGHPUT_UPLOADS / ((Math.max(...phase.eventAtMs) - started) / 1000);
}

interface SteadyResult {
  perMinute: number;
  uploads: number;
  breakdown: Breakdown;
  behindMaxMs: number;
  failed: number;
  cpu: string;
}

async function steady(
  js: JetStreamClient,
  tracker: EventTracker,
  cpu: CpuMeter,
  perMinute: number,
): Promise<SteadyResult> {
  const count = Math.round((perMinute / 60) * STEADY_SECONDS);
  const uploads = prepareUploads(`lat${perMinute}`, count);
  const phase = tracker.expect(`lat${perMinute}`, count);
  cpu.start();
  const paced = await publishPaced(js, uploads, perMinute);
  await waitForEvents(phase);
  const usage = cpu.stop(count);
  const { behindMaxMs, failed } = paced;
  return {
    perMinute,
    uploads: count,
    breakdown: breakdown(phase, paced.sentAtMs),
    behindMaxMs,
    failed,
    cpu: usage,
  };
}

function printSteady(r: SteadyResult): void {
  const t = r.breakdown.total;
  console.log(
    `\nsteady ${fmt(r.perMinute)} uploads/min (${fmt(r.uploads)} uploads): publish→ingest-complete ` +
      `p50 ${fmt(t.p50, 1)} ms, p99 ${fmt(t.p99, 1)} ms, max ${fmt(t.max, 1)} ms` +
      (r.failed ? `; ${r.failed} publishes failed` : ''),
  );
  printBreakdown(r.breakdown);
  console.log(`    ${r.cpu}; generator at worst ${fmt(r.behindMaxMs, 1)} ms behind schedule`);
}

function printTargets(tp: number, results: SteadyResult[]): void {
  const at = results.find((r) => r.perMinute === TARGET.perMinute)?.breakdown.total;
  const met = (ok: boolean) => (ok ? 'met' : 'NOT met');
  console.log(
    `\ntargets: sustained ≥ ${fmt(TARGET.uploadsPerSecond)} uploads/s → ${met(tp >= TARGET.uploadsPerSecond)}` +
      (at
        ? `; at ${fmt(TARGET.perMinute)}/min p50 ≤ ${TARGET.p50Ms} ms → ${met(at.p50 <= TARGET.p50Ms)}, ` +
          `p99 ≤ ${TARGET.p99Ms} ms → ${met(at.p99 <= TARGET.p99Ms)}`
        : ''),
  );
}

function writeResults(natsVersion: string, raw: number, tp: number, results: SteadyResult[]): void {
  mkdirSync(RESULTS_DIR, { recursive: true });
  const stamp = new Date().toISOString().replace(/[:.]/g, '-');
  const points: LoadPoint[] = results.map((r) => ({
    perMinute: r.perMinute,
    p50Ms: r.breakdown.total.p50,
    p99Ms: r.breakdown.total.p99,
  }));
  const json = { raw, sustained: tp, steady: results };
  writeFileSync(join(RESULTS_DIR, `ingest-${stamp}.json`), JSON.stringify(json, null, 2));
  const png = writeLatencyChart(
    join(RESULTS_DIR, 'ingest-latency'),
    points,
    'Akosha ingest: latency vs steady load',
    `${new Date().toISOString().slice(0, 16).replace('T', ' ')}Z · ${machineShort(natsVersion)}`,
  );
  console.log(`\nlatency-vs-load chart: ${png}`);
}

async function main(): Promise<void> {
  const dir = tempDir('ingest');
  const server = await startNatsServer({ storeDir: join(dir, 'nats') });
  // no async stack traces: each publish would capture one (the harness's own CPU)
  const nc = await connect({ servers: server.url, noAsyncTraces: true });
  const js = jetstream(nc);
  await applyTopology(nc, loadConfig({}).streams);
  console.log(machineLine(nc.info?.version ?? 'unknown'));
  console.log(`${fmt(THROUGHPUT_UPLOADS)} uploads of one ~2 KB record from 50 systems\n`);

  const raw = await rawBaseline(nc, js);
  console.log(`raw JetStream publish+consume+ack:      ${fmt(raw)} msg/s`);

  const tracker = new EventTracker(nc);
  const akosha = startAkosha(server.url, join(dir, 'data'));
  let stopping = false;
  akosha.once('exit', (code) => {
    if (stopping) return;
    console.error(`the pipeline process exited (${code}) before the bench ended`);
    server.process.kill();
    process.exit(1);
  });
  await warmUp(js, tracker);
  const tp = await sustained(js, tracker);
  console.log(
    `pipeline sustained (publish→event):     ${fmt(tp)} uploads/s   (${fmt((tp / raw) * 100, 1)} % of raw)`,
  );

  const cpu = new CpuMeter({ akosha: akosha.pid!, nats: server.process.pid! });
  await sleep(2000); // the sustained phase's last acks and index work settle
  cpu.start();
  await sleep(IDLE_SECONDS * 1000);
  console.log(`idle ${IDLE_SECONDS} s: ${cpu.stop(0)}`);
  const results: SteadyResult[] = [];
  for (const perMinute of RATES) {
    await sleep(1000); // the previous phase's last acks and index work settle
    results.push(await steady(js, tracker, cpu, perMinute));
    printSteady(results[results.length - 1]!);
  }
  printTargets(tp, results);
  writeResults(nc.info?.version ?? 'unknown', raw, tp, results);

  stopping = true;
  akosha.kill('SIGTERM');
  await new Promise((r) => akosha.once('exit', r));
  await nc.close();
  await server.stop();
}

main().catch((err) => {
  console.error(err);
  process.exit(1);
});
