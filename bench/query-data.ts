import { createHash } from 'node:crypto';
import { existsSync, readFileSync, rmSync, writeFileSync } from 'node:fs';
import { join } from 'node:path';
import { performance } from 'node:perf_hooks';
import { setFlagsFromString } from 'node:v8';
import { runInNewContext } from 'node:vm';
import { HASHING_MODEL } from '../embedding/hashing-embedder';
import { encodeVector } from '../embedding/vector';
import type { EmbeddedMessage, EmbeddedRecord } from '../schemas/embedded';
import { shardOf } from '../schemas/ids';
import { HotStore } from '../storage/hot-store';
import { loadConfig } from '../infra/config';
import type { ChunkInput } from '../storage/write-plan';
import { DIM } from './clustered';
import { fmt } from './lib';

export const EMBEDDER = { name: 'hashing', model: HASHING_MODEL, dim: DIM };
/** records per embedded message, like a chunk of an upload */
const CHUNK_RECORDS = 500;
// The build saves the index once, on close: a periodic save of a large index costs minutes.
const NO_PERIODIC_SAVE_MS = 2 ** 31 - 1;

export interface DataSetSpec {
  n: number;
  clusters: number;
  systems: number;
  seed: number;
  /** only the records of these shards (a writer's half); absent: all */
  part?: { name: string; shards: (shard: number) => boolean };
}

export const systemOf = (i: number, systems: number) =>
  `bench-${String(i % systems).padStart(4, '0')}`;

function record(i: number, vector: Float32Array): EmbeddedRecord {
  const content = `memory ${i}: ${WORDS[i % WORDS.length]} ${WORDS[(i * 7) % WORDS.length]} note`;
  return {
    id: `rec-${i}`,
    kind: i % 2 === 0 ? 'conversation' : 'reflection',
    content,
    content_sha256: createHash('sha256').update(content, 'utf8').digest('hex'),
    timestamp: new Date(Date.UTC(2026, 0, 1) + i * 1000).toISOString(),
    project: `p${i % 10}`,
    tags: ['bench'],
    metadata: { n: i },
    vector: encodeVector(vector),
    vector_source: 'embedder',
  };
}
const WORDS = 'stream shard writer duckdb vector index replay ack latency cache'.split(' ');

/** The embedded messages of one system: its records (i ≡ system mod systems) in chunks. */
function systemChunks(s: number, spec: DataSetSpec, vectors: Float32Array): ChunkInput[] {
  const ids: number[] = [];
  for (let i = s; i < spec.n; i += spec.systems) ids.push(i);
  const count = Math.ceil(ids.length / CHUNK_RECORDS);
  const systemId = systemOf(s, spec.systems);
  return Array.from({ length: count }, (_, c) => {
    const part = ids.slice(c * CHUNK_RECORDS, (c + 1) * CHUNK_RECORDS);
    const vecs = part.map((i) => vectors.subarray(i * DIM, (i + 1) * DIM));
    const message: EmbeddedMessage = {
      schema_version: 1,
      upload_id: `bench-upload-${s}`,
      system_id: systemId,
      shard: shardOf(systemId),
      part: { index: 0, count: 1 },
      chunk: { index: c, count },
      upload_seq: s + 1,
      embedder: EMBEDDER,
      records: part.map((i, k) => record(i, vecs[k]!)),
      rejected_ids: [],
    };
    return { message, vectors: vecs };
  });
}

/** `efSearch`: the graph's ef at query time; default the configured one */
const openStore = (dir: string, efSearch?: number | 'auto') =>
  HotStore.open(dir, {
    concurrency: 4,
    model: HASHING_MODEL,
    indexSaveIntervalMs: NO_PERIODIC_SAVE_MS,
    graph: {
      ...loadConfig().writer.graph,
      ...(efSearch !== undefined && { expansionSearch: efSearch }),
    },
  });

/**
 * Writes every record through the real write path, one shard at a time (one transaction and
 * one batch index add per shard), then closes the store, which saves the index file.
 */
async function build(dir: string, spec: DataSetSpec, vectors: Float32Array): Promise<number> {
  const started = performance.now();
  const store = await openStore(dir);
  const byShard = new Map<number, number[]>();
  for (let s = 0; s < spec.systems; s++) {
    const shard = shardOf(systemOf(s, spec.systems));
    byShard.set(shard, [...(byShard.get(shard) ?? []), s]);
  }
  let written = 0;
  let done = 0;
  for (const [shard, systems] of [...byShard].sort((a, b) => a[0] - b[0])) {
    if (spec.part && !spec.part.shards(shard)) continue;
    const inputs = systems.flatMap((s) => systemChunks(s, spec, vectors));
    const result = await store.writeShard(shard, inputs);
    const stored = result.chunks.reduce((n, c) => n + c.stored.length, 0);
    if (stored !== inputs.reduce((n, c) => n + c.message.records.length, 0))
      throw new Error(`shard ${shard}: only ${stored} records stored`);
    written += stored;
    done++;
    const s = (performance.now() - started) / 1000;
    process.stdout.write(
      `\r  shard ${done}/${byShard.size}: ${fmt(written)} / ${fmt(spec.n)} records, ` +
        `${fmt(written / s)}/s, ${fmt(s)} s, ETA ${fmt(((spec.n - written) * s) / written)} s   `,
    );
  }
  const writeS = (performance.now() - started) / 1000;
  process.stdout.write(`\n  written in ${fmt(writeS, 1)} s; saving the index…\n`);
  await store.close();
  const ms = performance.now() - started;
  console.log(`  saved in ${fmt(ms / 1000 - writeS, 1)} s`);
  return ms;
}

/** The data set's directory under .bench/query/ (its shards under `hot/`). */
export const rootOf = (spec: DataSetSpec) =>
  join(
    '.bench',
    'query',
    `n${spec.n}-c${spec.clusters}-sys${spec.systems}-s${spec.seed}-v1${spec.part ? `-${spec.part.name}` : ''}`,
  );

/**
 * The data set built under .bench/query/ when missing (keyed by the spec; a `built.json`
 * marks a complete build, anything without it is rebuilt); what was done, as a note.
 */
export async function ensureDataSet(spec: DataSetSpec, vectors: Float32Array): Promise<string> {
  const root = rootOf(spec);
  const marker = join(root, 'built.json');
  if (existsSync(marker)) {
    const { build_s } = JSON.parse(readFileSync(marker, 'utf8')) as { build_s: number };
    return `reused ${root} (built in ${fmt(build_s)} s by an earlier run)`;
  }
  rmSync(root, { recursive: true, force: true });
  console.log(`building ${root}`);
  const ms = await build(join(root, 'hot'), spec, vectors);
  writeFileSync(marker, JSON.stringify({ ...spec, build_s: ms / 1000 }));
  return `built in ${fmt(ms / 1000)} s (${fmt(spec.n / (ms / 1000))} records/s)`;
}

/** The hot store of the data set (ensureDataSet), opened from disk with that ef at query time. */
export async function openDataSet(
  spec: DataSetSpec,
  vectors: Float32Array,
  efSearch?: number | 'auto',
): Promise<{ store: HotStore; buildNote: string; openMs: number }> {
  const buildNote = await ensureDataSet(spec, vectors);
  const t = performance.now();
  const store = await openStore(join(rootOf(spec), 'hot'), efSearch);
  const openMs = performance.now() - t;
  const { rebuilt, reason } = store.indexOpened;
  if (rebuilt) console.log(`  note: the index file was not usable and was rebuilt (${reason})`);
  else if (reason) console.log(`  note: ${reason}`);
  printOpenStep(openMs, vectors);
  return { store, buildNote, openMs };
}

/**
 * The open step as a writer's start sees it: its time, and the process's RSS right after
 * (garbage collected first), less the benchmark's own generated vectors.
 */
function printOpenStep(openMs: number, vectors: Float32Array): void {
  console.log(`  open step: ${fmt(openMs / 1000, 1)} s; ${rssLine('after reopening', vectors)}`);
}

/** The process's RSS now (garbage collected first), with and without the generated vectors. */
export function rssLine(when: string, vectors: Float32Array): string {
  setFlagsFromString('--expose-gc');
  (runInNewContext('gc') as () => void)();
  const mib = (bytes: number) => fmt(bytes / 2 ** 20);
  const rss = process.memoryUsage().rss;
  return (
    `RSS ${when} ${mib(rss)} MiB, ${mib(rss - vectors.byteLength)} MiB without the benchmark's ` +
    `generated vectors (${mib(vectors.byteLength)} MiB); peak RSS so far ` +
    `${mib(process.resourceUsage().maxRSS * 1024)} MiB`
  );
}
