/**
 * Searches while the graph adds a bulk batch (what an online replay's final index pass sends:
 * 16,384 points over every core): one client searches in a loop, one search at a time, while
 * the add runs, with the add in slices (ADD_SLICE points on a thread, INLINE_ADD_SLICE on the
 * event loop) and, for comparison in the same run, in one native call; the graph on its own
 * thread (at nice 10) and on the event loop's.
 * The graph is the hot index's (int8, M 16, build ef 128), with BENCH_GRAPH_POINTS points
 * (100,000) in it before. On the event loop's thread, one call holds every search for its
 * length: the last column says how long the loop was held at most.
 *
 *   npx tsx bench/graph-bulk.ts
 */
import { cpus } from 'node:os';
import { MetricKind, ScalarKind, type IndexConfig } from 'usearch';
import { HOT_INDEX_DEFAULTS } from '../infra';
import { INLINE_ADD_SLICE, newGraph } from '../storage/vector-index/graph';
import { ADD_SLICE } from '../storage/vector-index/graph-thread';
import { efForSize } from '../storage/vector-index/usearch-index';
import { envInt, fmt, loopHeld, percentile, searchWhile } from './lib';

const DIM = 384;
const BEFORE = envInt('BENCH_GRAPH_POINTS', 100_000);
const BULK = 16_384;
const CONFIG: IndexConfig = {
  dimensions: DIM,
  metric: MetricKind.Cos,
  quantization: ScalarKind.I8,
  connectivity: 16,
  expansion_add: 128,
  expansion_search: efForSize(BEFORE),
  multi: false,
};

function randomVectors(n: number): Float32Array {
  const out = new Float32Array(n * DIM);
  for (let i = 0; i < out.length; i++) out[i] = Math.random() - 0.5;
  return out;
}

const keysFrom = (from: number, n: number) =>
  BigUint64Array.from({ length: n }, (_, i) => BigInt(from + i));

async function run(thread: boolean, sliced: boolean): Promise<void> {
  const addSlice = !sliced ? Number.MAX_SAFE_INTEGER : thread ? ADD_SLICE : INLINE_ADD_SLICE;
  const nice = HOT_INDEX_DEFAULTS.graphNice;
  const graph = newGraph(CONFIG, { thread, batchThreads: 0, nice, addSlice });
  const label = `${thread ? 'own thread' : 'event loop'}, ${sliced ? `slices of ${addSlice}` : 'one call'}`;
  for (let from = 0; from < BEFORE; from += BULK) {
    const n = Math.min(BULK, BEFORE - from);
    await graph.add(keysFrom(from, n), randomVectors(n), 0);
  }
  const held = loopHeld();
  const started = performance.now();
  const adding = graph.add(keysFrom(BEFORE, BULK), randomVectors(BULK), 0);
  const latencies = (await searchWhile(() => graph.search(randomVectors(1), 10), adding)).sort(
    (a, b) => a - b,
  );
  const addS = (performance.now() - started) / 1000;
  const heldMs = held.stop();
  await graph.close();
  const q = (p: number) => `${fmt(percentile(latencies, p), 1)} ms`;
  console.log(
    `| ${label} | ${fmt(addS, 2)} s | ${fmt(latencies.length)} | ${q(50)} | ${q(99)} | ` +
      `${fmt(latencies.at(-1)!, 1)} ms | ${fmt(heldMs, 1)} ms |`,
  );
}

async function main(): Promise<void> {
  console.log(
    `machine: ${cpus().length} cores (${cpus()[0]?.model.trim()}), Node ${process.version}`,
  );
  console.log(`graph of ${fmt(BEFORE)} points; one add of ${fmt(BULK)} points over every core\n`);
  console.log(
    '| graph, add | add took | searches meanwhile | p50 | p99 | max | event loop held at most |',
  );
  console.log('| --- | --- | --- | --- | --- | --- | --- |');
  for (const thread of [true, false]) {
    await run(thread, true);
    await run(thread, false);
  }
}

void main();
