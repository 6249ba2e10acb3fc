/**
 * npm run bench:ingest — sustained ingest throughput and publish→ingest-complete
 * latency of the whole pipeline (separate process, default embedder), beside raw
 * JetStream publish+consume of the same payloads, all in one run.
 */
import { jetstream, jetstreamManager, AckPolicy, type JetStreamClient } from '@nats-io/jetstream';
import { connect, type NatsConnection } from '@nats-io/transport-node';
import { join } from 'node:path';
import { spawn } from 'node:child_process';
import { applyTopology } from '../streams/apply';
import { loadConfig } from '../infra/config';
import { startNatsServer } from '../infra/nats-server';
import { shardOf } from '../schemas/ids';
import { subjects } from '../streams/subjects';
import { fmt, percentile, sleep, tempDir, textOfBytes } from './lib';

const THROUGHPUT_UPLOADS = Number(process.env.BENCH_UPLOADS ?? 20_000);
const STEADY_PER_MINUTE = 10_000;
const STEADY_SECONDS = Number(process.env.BENCH_STEADY_SECONDS ?? 30);
const SYSTEMS = 50;
const PUBLISH_WINDOW = 1000;

const systemOf = (i: number) => `bench-host-${i % SYSTEMS}`;

function uploadPayload(i: number, runId: string): string {
  return JSON.stringify({
    schema_version: 1,
    upload_id: `${runId}-${i}`,
    system_id: systemOf(i),
    created_at: new Date().toISOString(),
    records: [
      {
        id: `m-${i}`,
        kind: 'conversation',
        content: textOfBytes(i, 2000),
        timestamp: new Date().toISOString(),
        project: 'bench',
      },
    ],
  });
}

/** Publishes with at most `window` unacknowledged publishes in flight. */
async function publishWindowed(
  js: JetStreamClient,
  count: number,
  message: (i: number) => [string, string, string],
): Promise<void> {
  let next = 0;
  const worker = async () => {
    while (next < count) {
      const [subject, body, msgID] = message(next++);
      await js.publish(subject, body, { msgID });
    }
  };
  await Promise.all(Array.from({ length: PUBLISH_WINDOW }, worker));
}

async function rawBaseline(nc: NatsConnection, js: JetStreamClient): Promise<number> {
  const jsm = await jetstreamManager(nc);
  await jsm.streams.add({ name: 'BENCH_RAW', subjects: ['bench.raw.>'] });
  await jsm.consumers.add('BENCH_RAW', {
    durable_name: 'raw',
    ack_policy: AckPolicy.Explicit,
    max_ack_pending: 10_000,
  });
  const consumer = await js.consumers.get('BENCH_RAW', 'raw');
  const started = performance.now();
  let consumed = 0;
  const done = (async () => {
    const messages = await consumer.consume({ max_messages: 1000 });
    for await (const m of messages) {
      m.ack();
      if (++consumed === THROUGHPUT_UPLOADS) break;
    }
  })();
  await publishWindowed(js, THROUGHPUT_UPLOADS, (i) => [
    `bench.raw.${shardOf(systemOf(i))}.${systemOf(i)}`,
    uploadPayload(i, 'raw'),
    `raw-${i}`,
  ]);
  await done;
  return THROUGHPUT_UPLOADS / ((performance.now() - started) / 1000);
}

/** Resolves each upload's ingest-complete event time by upload id. */
function watchEvents(nc: NatsConnection): Map<string, number> {
  const seen = new Map<string, number>();
  nc.subscribe(subjects.ingestedAll, {
    callback: (_err, msg) => {
      seen.set((msg.json() as { upload_id: string }).upload_id, performance.now());
    },
  });
  return seen;
}

async function waitForEvents(
  seen: Map<string, number>,
  prefix: string,
  count: number,
): Promise<void> {
  const deadline = Date.now() + 600_000;
  while ([...seen.keys()].filter((k) => k.startsWith(prefix)).length < count) {
    if (Date.now() > deadline) throw new Error(`only ${seen.size} events after 10 min`);
    await sleep(20);
  }
}

async function sustained(js: JetStreamClient, seen: Map<string, number>): Promise<number> {
  const started = performance.now();
  await publishWindowed(js, THROUGHPUT_UPLOADS, (i) => [
    subjects.upload(shardOf(systemOf(i)), systemOf(i)),
    uploadPayload(i, 'tp'),
    `tp-${i}`,
  ]);
  await waitForEvents(seen, 'tp-', THROUGHPUT_UPLOADS);
  const last = Math.max(...[...seen].filter(([k]) => k.startsWith('tp-')).map(([, t]) => t));
  return THROUGHPUT_UPLOADS / ((last - started) / 1000);
}

async function steadyLatency(js: JetStreamClient, seen: Map<string, number>): Promise<number[]> {
  const total = Math.round((STEADY_PER_MINUTE / 60) * STEADY_SECONDS);
  const intervalMs = 60_000 / STEADY_PER_MINUTE;
  const sentAt = new Map<string, number>();
  const start = performance.now();
  const sends: Promise<unknown>[] = [];
  for (let i = 0; i < total; i++) {
    const due = start + i * intervalMs;
    const wait = due - performance.now();
    if (wait > 1) await sleep(wait);
    sentAt.set(`lat-${i}`, performance.now());
    sends.push(
      js.publish(subjects.upload(shardOf(systemOf(i)), systemOf(i)), uploadPayload(i, 'lat'), {
        msgID: `lat-${i}`,
      }),
    );
  }
  await Promise.all(sends);
  await waitForEvents(seen, 'lat-', total);
  return [...sentAt].map(([id, t]) => seen.get(id)! - t).sort((a, b) => a - b);
}

async function main(): Promise<void> {
  const dir = tempDir('ingest');
  const server = await startNatsServer({ storeDir: join(dir, 'nats') });
  const nc = await connect({ servers: server.url });
  const js = jetstream(nc);
  await applyTopology(nc, loadConfig({}).streams);
  console.log(
    `nats-server ${nc.info?.version} at ${server.url}; ${THROUGHPUT_UPLOADS} uploads of one ~2 KB record from ${SYSTEMS} systems\n`,
  );

  const raw = await rawBaseline(nc, js);
  console.log(`raw JetStream publish+consume+ack:      ${fmt(raw)} msg/s`);

  const akosha = spawn(
    process.execPath,
    [
      join(__dirname, '..', 'bin', 'akosha-source.js'),
      'start',
      '--roles',
      process.env.BENCH_ROLES ?? 'ingest,writer,api',
    ],
    {
      env: {
        ...process.env,
        AKOSHA_NATS_URL: server.url,
        AKOSHA_START_NATS: 'never',
        AKOSHA_DATA_DIR: join(dir, 'data'),
        AKOSHA_LOG_LEVEL: 'warn',
        AKOSHA_HTTP_PORT: process.env.BENCH_HTTP_PORT ?? '0',
      },
      stdio: ['ignore', 'inherit', 'inherit'],
    },
  );
  const seen = watchEvents(nc);
  const tp = await sustained(js, seen);
  console.log(
    `pipeline sustained (publish→event):     ${fmt(tp)} uploads/s   (${fmt((tp / raw) * 100, 1)} % of raw)`,
  );

  const lat = await steadyLatency(js, seen);
  console.log(
    `steady ${fmt(STEADY_PER_MINUTE)} uploads/min for ${STEADY_SECONDS} s: publish→ingest-complete p50 ${fmt(percentile(lat, 50), 1)} ms, p99 ${fmt(percentile(lat, 99), 1)} ms, max ${fmt(lat[lat.length - 1]!, 1)} ms`,
  );
  console.log(
    `\ntargets: sustained ≥ 1,000 uploads/s → ${tp >= 1000 ? 'met' : 'NOT met'}; p99 ≤ 250 ms → ${percentile(lat, 99) <= 250 ? 'met' : 'NOT met'}`,
  );

  akosha.kill('SIGTERM');
  await new Promise((r) => akosha.once('exit', r));
  await nc.close();
  await server.stop();
}

main().catch((err) => {
  console.error(err);
  process.exit(1);
});
