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
import { numberOption } from './args';
import { measureDigest, writeSessionBuddyDb } from './cloud-data';
import { reuploadRound, watchIngested, type ReuploadRun } from './cloud-reupload';
import { fmt, tempDir } from './lib';
import { markdownTable, RESULTS_DIR } from './load-report';

const QUICK = process.argv.includes('--quick');
const RECORDS = numberOption('records', QUICK ? 5_000 : 50_000);
const RUNS = numberOption('runs', QUICK ? 1 : 3);
const DIGEST_KEYS = numberOption('digest-keys', QUICK ? 100_000 : 1_000_000);
const NEW_SHARE = 0.01;

const median = (xs: number[]) => [...xs].sort((a, b) => a - b)[Math.floor((xs.length - 1) / 2)]!;

function digestTable(): string {
  const d = measureDigest(DIGEST_KEYS);
  return markdownTable(
    [
      'keys',
      'sha256→64 bit µs/key',
      'add µs/key',
      'has µs/key',
      'heap MiB',
      'bytes/key',
      'toBytes ms',
      'fromBytes ms',
    ],
    [
      [
        fmt(d.keys),
        fmt(d.hashPerKeyUs, 2),
        fmt(d.addPerKeyUs, 2),
        fmt(d.hasPerKeyUs, 2),
        fmt(d.heapMiB, 1),
        fmt(d.bytes / d.keys, 2),
        fmt(d.toBytesMs),
        fmt(d.fromBytesMs),
      ],
    ],
  );
}

function reuploadTable(runs: { digest: ReuploadRun; noDigest: ReuploadRun }[]): string {
  const row = (
    label: string,
    pick: (r: (typeof runs)[number]) => ReuploadRun,
    rate: (r: ReuploadRun) => number,
  ) => {
    const list = runs.map(pick);
    const m = (f: (r: ReuploadRun) => number) => median(list.map(f));
    return [
      label,
      fmt(m((r) => r.records)),
      fmt(m((r) => r.published)),
      fmt(m((r) => r.unchanged)),
      fmt(m((r) => r.duplicate)),
      fmt(m((r) => r.stored)),
      fmt(
        m((r) => r.importS),
        2,
      ),
      fmt(
        m((r) => r.storedS),
        2,
      ),
      fmt(m(rate)),
      fmt(m((r) => r.records / r.storedS)),
    ];
  };
  return markdownTable(
    [
      're-upload (99 % stored)',
      'records',
      'published',
      'skipped at importer',
      'writer duplicates',
      'stored',
      'import s',
      'until stored s',
      'old records/s skipped or deduplicated',
      'records/s whole re-upload',
    ],
    [
      // the importer's own pace: digest load, read, hash and skip, publish of the 1 %, save
      row(
        'with digest',
        (r) => r.digest,
        (r) => r.unchanged / r.importS,
      ),
      row(
        'digest removed',
        (r) => r.noDigest,
        (r) => r.duplicate / r.storedS,
      ),
    ],
  );
}

async function main(): Promise<void> {
  const dir = tempDir('cloud');
  const server = await startNatsServer({ storeDir: join(dir, 'nats') });
  const config = loadConfig({
    AKOSHA_NATS_URL: server.url,
    AKOSHA_START_NATS: 'never',
    AKOSHA_DATA_DIR: join(dir, 'data'),
    AKOSHA_HTTP_PORT: '0',
    AKOSHA_LOG_LEVEL: 'warn',
    AKOSHA_MAHAVISHNU_URL: '',
  });
  const pipeline = await Pipeline.start(config, ['ingest', 'writer'], createLogger('warn'));
  const nc = await connect({ servers: server.url });
  const ctx = {
    nc,
    js: jetstream(nc),
    digests: await DigestStore.open(nc),
    events: watchIngested(nc),
  };
  console.log(
    `${new Date().toISOString()} · ${cpus().length} cores · nats-server ${nc.info?.version} · ${fmt(RECORDS)} records a database, ${NEW_SHARE * 100} % new in the re-upload · ${RUNS} run(s)\n`,
  );
  const out: string[] = [];
  const show = (title: string, table: string) => {
    console.log(`${title}\n\n${table}\n`);
    out.push(`### ${title}\n\n${table}\n`);
  };
  show(`RecordDigest of ${fmt(DIGEST_KEYS)} keys`, digestTable());

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
    `Whole-database re-upload (median of ${RUNS})`,
    reuploadTable(runs) + `\n\nwith the digest the re-upload is done ${fmt(speedup, 1)}× sooner`,
  );

  mkdirSync(RESULTS_DIR, { recursive: true });
  writeFileSync(join(RESULTS_DIR, 'cloud.md'), out.join('\n'));
  console.log(`written: ${join(RESULTS_DIR, 'cloud.md')}`);
  await nc.close();
  await pipeline.close();
  await server.stop();
  rmSync(dir, { recursive: true, force: true });
}

main().catch((err) => {
  console.error(err);
  process.exit(1);
});
