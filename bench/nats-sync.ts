/**
 * What AKOSHA_NATS_SYNC=always costs. On a nats-server with sync_interval (2.10+) it
 * publishes to a file stream with the server's default and with `always`. On 2.9, which
 * has no such option, it measures the closest parts: publish throughput with the
 * default, and the fsync that `always` adds to every stored message, on this disk.
 * Run: npm run bench:nats-sync  (BENCH_MESSAGES, BENCH_BYTES)
 */
import { closeSync, fsyncSync, openSync, rmSync, writeSync } from 'node:fs';
import { join } from 'node:path';
import { jetstream, jetstreamManager } from '@nats-io/jetstream';
import { connect } from '@nats-io/transport-node';
import { localServerVersion, startNatsServer } from '../infra/nats-server';
import { versionHasSyncInterval, type NatsSync } from '../infra/nats-sync';
import { envInt, fmt, percentile, tempDir } from './lib';

const MESSAGES = envInt('BENCH_MESSAGES', 5000);
const BYTES = envInt('BENCH_BYTES', 1024);
const WINDOW = 256;

/** Messages per second into a file stream: one at a time, and with WINDOW in flight. */
async function publishRate(sync: NatsSync): Promise<{ serial: number; windowed: number }> {
  const dir = tempDir('nats-sync');
  const server = await startNatsServer({ storeDir: join(dir, 'nats'), sync });
  const nc = await connect({ servers: server.url });
  try {
    const jsm = await jetstreamManager(nc);
    await jsm.streams.add({ name: 'BENCH', subjects: ['bench.>'] });
    const js = jetstream(nc);
    const body = new Uint8Array(BYTES).fill(97);
    let started = performance.now();
    for (let i = 0; i < MESSAGES; i++) await js.publish('bench.serial', body);
    const serial = MESSAGES / ((performance.now() - started) / 1000);
    started = performance.now();
    for (let i = 0; i < MESSAGES; i += WINDOW) {
      const n = Math.min(WINDOW, MESSAGES - i);
      await Promise.all(Array.from({ length: n }, () => js.publish('bench.windowed', body)));
    }
    return { serial, windowed: MESSAGES / ((performance.now() - started) / 1000) };
  } finally {
    await nc.close();
    await server.stop();
    rmSync(dir, { recursive: true, force: true });
  }
}

/** Appends of BYTES each, with and without an fsync after every one. */
function appendCost(): { plainPerS: number; syncedPerS: number; p50Ms: number; p99Ms: number } {
  const dir = tempDir('fsync');
  const fd = openSync(join(dir, 'blk'), 'a');
  const buf = Buffer.alloc(BYTES, 97);
  let started = performance.now();
  for (let i = 0; i < MESSAGES; i++) writeSync(fd, buf);
  const plainPerS = MESSAGES / ((performance.now() - started) / 1000);
  const latencies: number[] = [];
  started = performance.now();
  for (let i = 0; i < MESSAGES; i++) {
    const t = performance.now();
    writeSync(fd, buf);
    fsyncSync(fd);
    latencies.push(performance.now() - t);
  }
  const syncedPerS = MESSAGES / ((performance.now() - started) / 1000);
  closeSync(fd);
  rmSync(dir, { recursive: true, force: true });
  latencies.sort((a, b) => a - b);
  return {
    plainPerS,
    syncedPerS,
    p50Ms: percentile(latencies, 50),
    p99Ms: percentile(latencies, 99),
  };
}

async function main(): Promise<void> {
  const version = localServerVersion();
  console.log(`nats-server ${version}, ${MESSAGES} messages of ${BYTES} B`);
  const dflt = await publishRate('default');
  console.log(
    `publish, sync default: ${fmt(dflt.serial)} msg/s one at a time, ${fmt(dflt.windowed)} msg/s with ${WINDOW} in flight`,
  );
  if (versionHasSyncInterval(version)) {
    const always = await publishRate('always');
    console.log(
      `publish, sync always:  ${fmt(always.serial)} msg/s one at a time, ${fmt(always.windowed)} msg/s with ${WINDOW} in flight`,
    );
    console.log(
      `always / default: ${fmt(always.serial / dflt.serial, 2)} (serial), ${fmt(always.windowed / dflt.windowed, 2)} (windowed)`,
    );
    return;
  }
  console.log(
    'this nats-server has no sync_interval: measuring the fsync that `always` adds per message',
  );
  const disk = appendCost();
  console.log(
    `appends without fsync: ${fmt(disk.plainPerS)}/s; with fsync each: ${fmt(disk.syncedPerS)}/s (p50 ${fmt(disk.p50Ms, 2)} ms, p99 ${fmt(disk.p99Ms, 2)} ms)`,
  );
  // one at a time, each publish waits for its fsync as well
  const serial = 1000 / (1000 / dflt.serial + disk.p50Ms);
  console.log(
    `estimated one at a time with always: ~${fmt(serial)} msg/s (${fmt(serial / dflt.serial, 2)} of default)`,
  );
  // the server's write path stores messages one after another: an fsync each bounds it
  const bound = Math.min(dflt.windowed, disk.syncedPerS);
  console.log(
    `estimated publish ceiling with always: ~${fmt(bound)} msg/s (${fmt(bound / dflt.windowed, 2)} of the windowed default)`,
  );
}

main().catch((err: unknown) => {
  console.error(err);
  process.exit(1);
});
