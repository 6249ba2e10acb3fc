/**
 * Searches while the hot index saves (what a writer does every AKOSHA_INDEX_SAVE_INTERVAL and
 * at shutdown): an index of BENCH_SAVE_POINTS points (100,000; 384-d, ~1 KB of extra each, as
 * a hot record's shown fields) is built in memory and saved once; then a tenth more points are
 * added and it is saved again (vectors and extras read back from the first save's file). One
 * client searches in a loop, one search at a time, during each save. The graph on the event
 * loop's thread (the default) and on its own thread.
 *
 *   npx tsx bench/index-save.ts
 */
import { rmSync } from 'node:fs';
import { cpus } from 'node:os';
import { join } from 'node:path';
import { UsearchIndex } from '../storage/vector-index/usearch-index';
import type { IndexPoint } from '../storage/vector-index/types';
import { envInt, fmt, loopHeld, percentile, searchWhile, tempDir, textOfBytes } from './lib';

const DIM = 384;
const POINTS = envInt('BENCH_SAVE_POINTS', 100_000);
const ADD_BATCH = 4096;
const SYSTEMS = 20;

function randomVector(): Float32Array {
  const vector = new Float32Array(DIM);
  for (let d = 0; d < DIM; d++) vector[d] = Math.random() - 0.5;
  return vector;
}

function point(i: number): IndexPoint {
  const vector = randomVector();
  const system_id = `save-host-${i % SYSTEMS}`;
  const id = `m-${i}`;
  const payload = {
    system_id,
    id,
    kind: 'conversation',
    project: 'bench',
    timestamp: new Date(Date.UTC(2026, 0, 1) + i * 1000).toISOString(),
    shard: i % SYSTEMS,
    tier: 'hot' as const,
  };
  return { key: { system_id, id }, vector, payload, extra: { content: textOfBytes(i, 1000) } };
}

async function addPoints(index: UsearchIndex, from: number, to: number): Promise<void> {
  for (let start = from; start < to; start += ADD_BATCH) {
    const end = Math.min(to, start + ADD_BATCH);
    await index.upsert(Array.from({ length: end - start }, (_, k) => point(start + k)));
  }
}

async function timedSave(index: UsearchIndex, label: string): Promise<void> {
  const held = loopHeld();
  const started = performance.now();
  const saving = index.save();
  const latencies = (
    await searchWhile(() => index.search(randomVector(), { limit: 10 }), saving)
  ).sort((a, b) => a - b);
  await saving;
  const saveS = (performance.now() - started) / 1000;
  const heldMs = held.stop();
  const q = (p: number) => `${fmt(percentile(latencies, p), 1)} ms`;
  console.log(
    `| ${label} | ${fmt(saveS, 2)} s | ${fmt(latencies.length)} | ${q(50)} | ${q(99)} | ` +
      `${fmt(latencies.at(-1) ?? 0, 1)} ms | ${fmt(heldMs, 1)} ms |`,
  );
}

async function run(graphThread: boolean): Promise<void> {
  const dir = tempDir('index-save');
  const index = UsearchIndex.create({ path: join(dir, 'hot.usearch'), graphThread });
  const where = graphThread ? 'own thread' : 'event loop';
  await addPoints(index, 0, POINTS);
  await timedSave(index, `${where}, first save (${fmt(POINTS)} in memory)`);
  await addPoints(index, POINTS, POINTS + POINTS / 10);
  await timedSave(index, `${where}, next save (${fmt(POINTS / 10)} new)`);
  await index.close();
  rmSync(dir, { recursive: true, force: true });
}

async function main(): Promise<void> {
  console.log(
    `machine: ${cpus().length} cores (${cpus()[0]?.model.trim()}), Node ${process.version}`,
  );
  console.log(`hot index of ${fmt(POINTS)} points (int8 graph, 1 KB extra each)\n`);
  console.log(
    '| graph, save | save took | searches meanwhile | p50 | p99 | max | event loop held at most |',
  );
  console.log('| --- | --- | --- | --- | --- | --- | --- |');
  await run(false);
  await run(true);
}

void main();
