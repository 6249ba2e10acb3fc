/**
 * npm run bench:replay — rebuilds one hot shard from AKOSHA_UPLOADS with
 * replayUploads and the default (hashing) embedder: 1,000 uploads × 100 records
 * of one system (one shard), replayed into an empty data dir. Target ≥ 10,000 records/s.
 * The replay returns once its rows are committed and its points searchable; the HNSW graph
 * takes them in the background (UsearchIndex.stage). The bench then searches while that
 * build runs, and reports when it is done.
 */
import { rmSync } from 'node:fs';
import { cpus } from 'node:os';
import { join } from 'node:path';
import { jetstream, type JetStreamClient } from '@nats-io/jetstream';
import { connect } from '@nats-io/transport-node';
import { HASHING_MODEL, HashingEmbedder } from '../embedding/hashing-embedder';
import { loadConfig } from '../infra/config';
import { startNatsServer } from '../infra/nats-server';
import { replayUploads, type ReplaySummary } from '../operations/replay';
import { shardOf } from '../schemas/ids';
import { HotStore } from '../storage/hot-store';
import { applyTopology } from '../streams/apply';
import { subjects } from '../streams/subjects';
import { fmt, percentile, tempDir, textOfBytes } from './lib';

const UPLOADS = Number(process.env.BENCH_UPLOADS ?? 1000);
const RECORDS_PER_UPLOAD = Number(process.env.BENCH_RECORDS_PER_UPLOAD ?? 100);
const CONTENT_BYTES = Number(process.env.BENCH_CONTENT_BYTES ?? 300);
const BATCH_BYTES = Number(process.env.BENCH_BATCH_BYTES ?? 4 * 1024 * 1024);
const WORKER_THREAD = process.env.BENCH_WORKER_THREAD !== '0';
const PUBLISH_WINDOW = 64;
const SYSTEM = 'bench-replay-host';
const TARGET_RECORDS_PER_SECOND = 10_000;
const PROBE_SEARCHES = 50;

function uploadBody(u: number): string {
  const now = new Date().toISOString();
  return JSON.stringify({
    schema_version: 1,
    upload_id: `replay-${u}`,
    system_id: SYSTEM,
    created_at: now,
    records: Array.from({ length: RECORDS_PER_UPLOAD }, (_, k) => ({
      id: `m-${u}-${k}`,
      kind: k % 5 === 0 ? 'reflection' : 'conversation',
      content: textOfBytes(u * RECORDS_PER_UPLOAD + k, CONTENT_BYTES),
      timestamp: now,
      project: 'bench',
    })),
  });
}

/** Publishes with at most PUBLISH_WINDOW unacknowledged publishes in flight. */
async function publishUploads(js: JetStreamClient): Promise<number> {
  const started = performance.now();
  const subject = subjects.upload(shardOf(SYSTEM), SYSTEM);
  let next = 0;
  const worker = async () => {
    while (next < UPLOADS) {
      const u = next++;
      await js.publish(subject, uploadBody(u), { msgID: `replay-${u}` });
    }
  };
  await Promise.all(Array.from({ length: PUBLISH_WINDOW }, worker));
  return (performance.now() - started) / 1000;
}

async function main(): Promise<void> {
  const dir = tempDir('replay');
  const server = await startNatsServer({ storeDir: join(dir, 'nats') });
  const nc = await connect({ servers: server.url });
  const config = loadConfig({ AKOSHA_DATA_DIR: join(dir, 'data') });
  await applyTopology(nc, config.streams);
  const js = jetstream(nc);
  const total = UPLOADS * RECORDS_PER_UPLOAD;
  console.log(
    `${cpus().length} cores, Node ${process.version}, nats-server ${nc.info?.version}; ${fmt(UPLOADS)} uploads × ${RECORDS_PER_UPLOAD} records (~${CONTENT_BYTES} B of text each) of one system → shard ${shardOf(SYSTEM)}`,
  );
  const publishSeconds = await publishUploads(js);
  console.log(`published ${fmt(total)} records in ${fmt(publishSeconds, 1)} s`);

  const store = await HotStore.open(config.writer.hotDir, {
    ...config.writer,
    model: HASHING_MODEL,
  });
  const cpuBefore = process.cpuUsage();
  const summary = await replayUploads({
    nc,
    store,
    embedder: new HashingEmbedder(),
    maxMessageBytes: config.ingest.maxMessageBytes,
    chunkMaxBytes: Math.min(nc.info?.max_payload ?? 1 << 20, config.ingest.maxMessageBytes),
    batchBytes: BATCH_BYTES,
    workerThread: WORKER_THREAD,
  });
  const cpu = process.cpuUsage(cpuBefore);
  const cpuSeconds = (cpu.user + cpu.system) / 1e6;
  console.log(
    `\nCPU of this process (every thread, DuckDB's too) during the replay: ${fmt(cpuSeconds, 1)} s, ${fmt(cpuSeconds / summary.seconds, 2)} of ${cpus().length} cores busy on average`,
  );
  const waiting = store.indexWaiting;
  const probe = await searchWhileBuilding(store);
  await store.indexBuilt();
  const builtSeconds = summary.seconds + (performance.now() - probe.started) / 1000;
  const stored = await store.count(shardOf(SYSTEM));
  const indexed = await store.indexCount();
  await store.close();
  if (stored !== total) throw new Error(`shard holds ${stored} records, expected ${total}`);
  if (indexed !== total) throw new Error(`the index holds ${indexed} points, expected ${total}`);

  printSummary(summary, waiting, probe, builtSeconds);
  await nc.close();
  await server.stop();
  rmSync(dir, { recursive: true, force: true });
}

function printSummary(
  summary: ReplaySummary,
  waiting: number,
  probe: Awaited<ReturnType<typeof searchWhileBuilding>>,
  builtSeconds: number,
): void {
  const t = summary.timings;
  const share = (s: number) =>
    `${fmt(s, 2)} s (${fmt((s / summary.seconds) * 100, 0)} % of the run)`;
  console.log(
    `\nreplay: ${fmt(summary.records.stored)} records stored in ${fmt(summary.seconds, 2)} s (${WORKER_THREAD ? 'decode+embed in a worker thread' : 'one thread'}; steps overlap)`,
  );
  console.log(`  read (stream):            ${share(t.readSeconds)}`);
  console.log(`  decode:                   ${share(t.decodeSeconds)}`);
  console.log(`  embed + chunk:            ${share(t.embedSeconds)}`);
  console.log(`  DuckDB write (shard txn): ${share(t.writeSeconds)}`);
  console.log(`  final checkpoint:         ${share(t.checkpointSeconds)}`);
  console.log(
    `  vector index (staged):    ${share(t.indexSeconds)}; ${fmt(summary.index?.added ?? 0)} points at the end, ${fmt(waiting)} of them left to the graph's background build`,
  );
  console.log(
    `\nreplay (rows committed, every point searchable): ${fmt(summary.recordsPerSecond)} records/s — target ≥ ${fmt(TARGET_RECORDS_PER_SECOND)}: ${summary.recordsPerSecond >= TARGET_RECORDS_PER_SECOND ? 'met' : 'NOT met'}`,
  );
  console.log(
    `  ${PROBE_SEARCHES} searches (top 10, one at a time) while the graph builds: p50 ${fmt(probe.p50, 1)} ms, p99 ${fmt(probe.p99, 1)} ms; the probed record first in ${probe.found} of ${PROBE_SEARCHES}`,
  );
  console.log(
    `  graph complete ${fmt(builtSeconds, 2)} s after the replay started: ${fmt(summary.records.stored / builtSeconds)} records/s rows + graph`,
  );
}

/**
 * Searches for replayed records by their own text's vector, one at a time, while the graph
 * takes the staged points: their latency, and whether each record comes first.
 */
async function searchWhileBuilding(store: HotStore) {
  const started = performance.now();
  const embedder = new HashingEmbedder();
  const ms: number[] = [];
  let found = 0;
  for (let i = 0; i < PROBE_SEARCHES; i++) {
    const record = (i * 7919) % (UPLOADS * RECORDS_PER_UPLOAD);
    const u = Math.floor(record / RECORDS_PER_UPLOAD);
    const id = `m-${u}-${record % RECORDS_PER_UPLOAD}`;
    const [query] = await embedder.embed([textOfBytes(record, CONTENT_BYTES)]);
    const t0 = performance.now();
    const hits = await store.searchIndex(query!, { limit: 10 });
    ms.push(performance.now() - t0);
    if (hits[0]?.id === id) found++;
  }
  ms.sort((a, b) => a - b);
  return { started, p50: percentile(ms, 50), p99: percentile(ms, 99), found };
}

main().catch((err) => {
  console.error(err);
  process.exit(1);
});
