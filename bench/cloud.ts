/**
 * npm run bench:cloud [-- --quick] — what whole-database re-uploads cost: the digest's
 * memory and speed, then a re-upload of which 99 % is already stored, skipped at the importer
 * with the system's digest, and the same re-upload with the digest removed, deduplicated by
 * the writers. A local nats-server and an in-process pipeline (ingest, writer); medians of
 * --runs runs; tables printed and written to bench/results/cloud.md.
 */
import { mkdirSync, rmSync, writeFileSync } from 'node:fs';
import { cpus } from 'node:os';
import { join } from 'node:path';
import { jetstream } from '@nats-io/jetstream';
import { connect } from '@nats-io/transport-node';
import { Pipeline } from '../app/pipeline';
import { DigestStore } from '../cloud/digest-store';
import { loadConfig } from '../infra/config';
import { createLogger } from '../infra/logger';
import { startNatsServer } from '../infra/nats-server';
import type { NatsConnection } from '@nats-io/transport-node';
import { choiceOption, numberOption } from './args';
import { median, writeSessionBuddyDb } from './cloud-data';
import { pickupRound, type PickupRun } from './cloud-pickup';
import { reuploadRound, watchIngested } from './cloud-reupload';
import { digestTable, pickupTable, reuploadTable } from './cloud-tables';
import { fmt, tempDir } from './lib';
import { RESULTS_DIR } from './load-report';

const QUICK = process.argv.includes('--quick');
const RECORDS = numberOption('records', QUICK ? 5_000 : 20_000);
const RUNS = numberOption('runs', QUICK ? 1 : 3);
const DIGEST_KEYS = numberOption('digest-keys', QUICK ? 100_000 : 1_000_000);
const SYSTEMS = numberOption('systems', QUICK ? 4 : 20);
const PART = choiceOption('part', ['all', 'pickup', 'reupload'] as const, 'all');
const NEW_SHARE = 0.01;

type Show = (title: string, table: string) => void;

async function pickup(nc: NatsConnection, url: string, dir: string, show: Show): Promise<void> {
  const runs: PickupRun[] = [];
  for (let r = 0; r < RUNS; r++) {
    runs.push(await pickupRound(nc, url, dir, r, SYSTEMS));
    console.log(`  run ${r + 1}: ${fmt(runs.at(-1)!.perMinute)} uploads/min`);
  }
  show(`Uploads picked up from the bucket and stored (median of ${RUNS})`, pickupTable(runs));
}

async function reupload(nc: NatsConnection, url: string, dir: string, show: Show): Promise<void> {
  const config = loadConfig({
    AKOSHA_NATS_URL: url,
    AKOSHA_START_NATS: 'never',
    AKOSHA_DATA_DIR: join(dir, 'data'),
    AKOSHA_HTTP_PORT: '0',
    AKOSHA_LOG_LEVEL: 'warn',
    AKOSHA_MAHAVISHNU_URL: '',
  });
  const pipeline = await Pipeline.start(config, ['ingest', 'writer'], createLogger('warn'));
  const ctx = {
    nc,
    // a loaded 2-core machine can keep a publish ack waiting longer than the default 5 s
    js: jetstream(nc, { timeout: 30_000 }),
    digests: await DigestStore.open(nc),
    events: watchIngested(nc),
  };
  const newest = Date.now() - 3_600_000;
  const files = { base: join(dir, 'base.duckdb'), grown: join(dir, 'grown.duckdb') };
  await writeSessionBuddyDb(files.base, Math.round(RECORDS * (1 - NEW_SHARE)), newest);
  await writeSessionBuddyDb(files.grown, RECORDS, newest);
  const runs = [];
  for (let r = 0; r < RUNS; r++) {
    runs.push(await reuploadRound(ctx, r, files));
    const last = runs.at(-1)!;
    console.log(
      `  run ${r + 1}: with digest ${fmt(last.digest.storedS, 2)} s, digest removed ${fmt(last.noDigest.storedS, 2)} s`,
    );
  }
  const speedup = median(runs.map((r) => r.noDigest.storedS / r.digest.storedS));
  show(
    `Whole-database re-upload of ${fmt(RECORDS)} records, ${NEW_SHARE * 100} % new (median of ${RUNS})`,
    reuploadTable(runs) + `\n\nwith the digest the re-upload is done ${fmt(speedup, 1)}× sooner`,
  );
  await pipeline.close();
}

async function main(): Promise<void> {
  const dir = tempDir('cloud');
  const server = await startNatsServer({ storeDir: join(dir, 'nats') });
  const nc = await connect({ servers: server.url });
  console.log(
    `${new Date().toISOString()} · ${cpus().length} cores · nats-server ${nc.info?.version} · ${RUNS} run(s)\n`,
  );
  const out: string[] = [];
  const show: Show = (title, table) => {
    console.log(`${title}\n\n${table}\n`);
    out.push(`### ${title}\n\n${table}\n`);
  };
  show(`RecordDigest of ${fmt(DIGEST_KEYS)} keys`, await digestTable(DIGEST_KEYS));
  if (PART !== 'reupload') await pickup(nc, server.url, dir, show);
  if (PART !== 'pickup') await reupload(nc, server.url, dir, show);
  mkdirSync(RESULTS_DIR, { recursive: true });
  writeFileSync(join(RESULTS_DIR, 'cloud.md'), out.join('\n'));
  console.log(`written: ${join(RESULTS_DIR, 'cloud.md')}`);
  await nc.close();
  await server.stop();
  rmSync(dir, { recursive: true, force: true });
}

main().catch((err) => {
  console.error(err);
  process.exit(1);
});
