/**
 * Tier aging throughput: 100,000 synthetic records (384-d vectors, ~500 B text) in hot
 * shards → hot→warm, then warm→cold as ZSTD Parquet to s3rver on 127.0.0.1, each
 * including its verification (count + key/record hash sums; sha256 of every object).
 *   npx tsx bench/aging.ts [records] [systems] [days]
 */
import { spawn, type ChildProcess } from 'node:child_process';
import { rmSync } from 'node:fs';
import { cpus } from 'node:os';
import { join } from 'node:path';
import { HotStore } from '../storage/hot-store';
import { openObjectStore, TierMover, type MoveResult } from '../storage/tiers';
import { SEED_START, seedHot } from '../tests/storage/tiers/fixtures';
import { fmt, tempDir } from './lib';
import { HASHING_MODEL } from '../embedding/hashing-embedder';

const TARGET_HOT_WARM = 20_000;
const TARGET_WARM_COLD = 10_000;

async function main(): Promise<void> {
  const records = Number(process.argv[2] ?? 100_000);
  const systemCount = Number(process.argv[3] ?? 16);
  const days = Number(process.argv[4] ?? 14);
  const dir = tempDir('aging');
  const s3 = await startS3rverProcess(join(dir, 's3'), 'akosha-bench');
  const hot = await HotStore.open(join(dir, 'hot'), { concurrency: 2, model: HASHING_MODEL });
  const mover = await TierMover.open(hot, {
    warmDir: join(dir, 'warm'),
    objects: openObjectStore({
      localDir: join(dir, 'cold'),
      s3: {
        bucket: s3.bucket,
        endpoint: s3.endpoint,
        forcePathStyle: true,
        credentials: { accessKeyId: 'S3RVER', secretAccessKey: 'S3RVER' },
      },
    }),
  });
  try {
    console.log(`${cpus().length} cores, Node ${process.version}; s3rver on 127.0.0.1`);
    const systems = Array.from({ length: systemCount }, (_, i) => `bench-system-${i}`);
    const t0 = performance.now();
    const byShard = await seedHot(hot, {
      systems,
      perSystem: Math.ceil(records / systemCount),
      start: SEED_START,
      days,
      contentChars: 500,
    });
    const total = await hot.count();
    console.log(
      `seeded ${fmt(total)} records in ${byShard.size} hot shards (${systemCount} systems, ${days} days) in ${fmt((performance.now() - t0) / 1000, 1)} s`,
    );
    const everything = new Date(SEED_START.getTime() + (days + 1) * 86_400_000);

    const shards = [...byShard.keys()];
    const hw = await timed(() => eachShard(shards, (s) => mover.moveHotToWarm(s, everything)));
    const wc = await timed(() => eachShard(shards, (s) => mover.moveWarmToCold(s, everything)));
    const objects = wc.results.reduce((n, r) => n + r.objects, 0);
    const bytes = wc.results.reduce((n, r) => n + r.bytes, 0);
    console.log(`hot after: ${await hot.count()}, warm after: ${await mover.warm.count()}`);
    report('hot → warm  (copy + verify + delete)', hw, TARGET_HOT_WARM);
    report('warm → cold (Parquet + upload + download/verify + delete)', wc, TARGET_WARM_COLD);
    console.log(
      `cold: ${fmt(objects)} objects, ${fmt(bytes / 1e6, 1)} MB (${fmt(bytes / Math.max(1, total), 0)} B/record)`,
    );
  } finally {
    await mover.close();
    await hot.close();
    s3.child.kill('SIGTERM');
    rmSync(dir, { recursive: true, force: true });
  }
}

/** s3rver in a process of its own on 127.0.0.1 (as an S3 endpoint would be), ephemeral port. */
function startS3rverProcess(
  directory: string,
  bucket: string,
): Promise<{ child: ChildProcess; endpoint: string; bucket: string }> {
  const opts = JSON.stringify({
    address: '127.0.0.1',
    port: 0,
    silent: true,
    directory,
    configureBuckets: [{ name: bucket }],
  });
  const child = spawn(
    process.execPath,
    [
      '-e',
      `const S3rver = require('s3rver');
       new S3rver(${opts}).run().then((a) => console.log('port=' + a.port));`,
    ],
    { stdio: ['ignore', 'pipe', 'inherit'] },
  );
  return new Promise((resolve, reject) => {
    child.stdout!.on('data', (d: Buffer) => {
      const port = /port=(\d+)/.exec(d.toString())?.[1];
      if (port) resolve({ child, endpoint: `http://127.0.0.1:${port}`, bucket });
    });
    child.once('exit', (code) => reject(new Error(`s3rver exited (${code})`)));
  });
}

/** Shards `AGING_PARALLEL` (4) at a time: one DuckDB instance already uses every core. */
async function eachShard(
  shards: number[],
  move: (shard: number) => Promise<MoveResult>,
): Promise<MoveResult[]> {
  const parallel = Number(process.env.AGING_PARALLEL ?? 4);
  const results: MoveResult[] = [];
  for (let i = 0; i < shards.length; i += parallel)
    results.push(...(await Promise.all(shards.slice(i, i + parallel).map(move))));
  return results;
}

async function timed(task: () => Promise<MoveResult[]>) {
  const start = performance.now();
  const results = await task();
  return { results, seconds: (performance.now() - start) / 1000 };
}

function report(label: string, run: { results: MoveResult[]; seconds: number }, target: number) {
  const moved = run.results.reduce((n, r) => n + r.records, 0);
  const rate = moved / run.seconds;
  console.log(
    `${label}: ${fmt(moved)} records in ${fmt(run.seconds, 2)} s = ${fmt(rate)} records/s ` +
      `(target ≥ ${fmt(target)}: ${rate >= target ? 'met' : 'NOT met'})`,
  );
}

main().catch((err: unknown) => {
  console.error(err);
  process.exit(1);
});
