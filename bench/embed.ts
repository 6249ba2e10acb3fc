/**
 * npm run bench:embed — what the model embedder costs the pipeline. A generated
 * all-MiniLM-L6-v2-shaped model (6 layers, 384 hidden, 12 heads, 1536 FFN, random
 * weights: real compute, meaningless vectors); fp32 and int8 (q8); the same
 * ~40-token texts (one chunk each) in every measurement of one run:
 *
 *   bare      the WorkerPoolEmbedder the pipeline runs, built by the same factory
 *             from the same config (AKOSHA_EMBEDDING_WORKERS workers, default one
 *             per core, one ONNX session and one intra-op thread each;
 *             AKOSHA_EMBEDDING_BATCH texts per ONNX run), handed the texts in the
 *             calls the embed stage would make (AKOSHA_BATCH_SIZE uploads × records
 *             per upload texts per call): no NATS, no DuckDB.
 *   pipeline  Pipeline.start(config, ['ingest', 'writer']) — embed stage, shard
 *             writers, DuckDB hot shards — in this process, on a nats-server of its
 *             own (temp data dir), AKOSHA_EMBEDDER=model with that embedder config;
 *             the texts published as uploads of --records records from --systems
 *             systems; timed from the first publish to the ingest-complete event
 *             that makes every record stored.
 *   hashing   (reference) the same pipeline with the default hashing embedder: what
 *             the pipeline does per record besides the model.
 *
 * Every configuration is started and warmed first (one upload per system, which
 * opens every shard the runs write; the same texts for bare), and all stay up: the
 * rounds interleave them, so that load from elsewhere hits each alike (the idle
 * ones' stand-by CPU is printed). Each run stores every record (systems of its own
 * on the same shards: same content from the same system would be a duplicate).
 * Figures are the median of --rounds; ratios the median of the per-round ratios.
 * Printed: records (sentences)/s and tokens/s; process CPU time / wall time
 * (≈ busy cores), of it the main thread, and nats-server's apart; texts per
 * embedder call in the embed stage; pipeline/bare per dtype (target ≥ 0.9) and
 * int8/fp32 (target ≥ 2).
 *
 * Layout (--layout): `pinned` (the default on 2+ cores with taskset) is the deployed one:
 * the embed stage runs as `akosha start --roles ingest`, a process of its own that taskset
 * pins to CPU 0, and the bare pool likewise in a process of its own on CPU 0, one worker
 * each (--workers 1); this process (harness and shard writer, role `writer`) and
 * nats-server stay on the other CPUs. `shared`: everything in this process on every core.
 *
 *   npm run bench:embed -- [--texts 2048] [--rounds 5] [--layout pinned|shared]
 *                          [--workers <1 pinned, cores shared>] [--batch 32]
 *                          [--records 32] [--systems 16] [--no-hashing]
 *
 * AKOSHA_INGEST_WORKERS, AKOSHA_BATCH_SIZE, AKOSHA_BATCH_LINGER_MS,
 * AKOSHA_WRITER_CONCURRENCY and AKOSHA_SHARD_GROUPS in the environment reach the
 * pipeline (and the bare call size); otherwise the defaults apply.
 */
import { readFileSync } from 'node:fs';
import { availableParallelism } from 'node:os';
import { parseArgs } from 'node:util';
import { createEmbedder } from '../embedding/factory';
import type { ModelDtype } from '../infra/option-types';
import { WorkerPoolEmbedder } from '../embedding/worker-pool';
import type { AkoshaConfig } from '../infra/config';
import { localServerVersion } from '../infra/nats-server';
import { ensureModel, MINILM_L6_MODEL } from '../tests/fixtures/model/ensure-model';
import { cpuNow, cpuSince, PipelineUnderTest, type CpuSample } from './embed-pipeline';
import { BareProcess, hasTaskset, pinAll } from './embed-processes';
import { machineLine } from './ingest-report';
import { fmt, sleep } from './lib';

const { values } = parseArgs({
  options: {
    texts: { type: 'string', default: '2048' },
    rounds: { type: 'string', default: '5' },
    layout: {
      type: 'string',
      default: availableParallelism() >= 2 && hasTaskset() ? 'pinned' : 'shared',
    },
    workers: { type: 'string' },
    batch: { type: 'string', default: '32' },
    records: { type: 'string', default: '32' },
    systems: { type: 'string', default: '16' },
    'no-hashing': { type: 'boolean', default: false },
  },
});
const N = Number(values.texts);
const ROUNDS = Number(values.rounds);
const PINNED = values.layout === 'pinned';
/** read before pinning: afterwards availableParallelism() counts this process's CPUs only */
const CORES = availableParallelism();
/** the embed stage's CPU, and the bare pool's, in the pinned layout; the rest gets the others */
const EMBED_CPU = '0';
const OTHER_CPUS = CORES > 2 ? `1-${CORES - 1}` : '1';
const WORKERS = values.workers ?? (PINNED ? '1' : String(CORES));
const SHAPE = {
  recordsPerUpload: Number(values.records),
  systems: Number(values.systems),
  embedOn: PINNED ? EMBED_CPU : undefined,
};
const PASSED_ON = [
  'AKOSHA_INGEST_WORKERS',
  'AKOSHA_BATCH_SIZE',
  'AKOSHA_BATCH_LINGER_MS',
  'AKOSHA_WRITER_CONCURRENCY',
  'AKOSHA_SHARD_GROUPS',
];

const WORDS = (
  'stream consumer shard writer duckdb vector index embed upload replay dead letter ack ' +
  'backoff latency throughput session memory reflection project query cache tier parquet ' +
  'checksum the of and to in is it that was for on are with as be at this from have not ' +
  'but what all were when we there can an your which their said if do will each about how'
).split(' ');

/** ~40 tokens each ([CLS] and [SEP] included): 34–40 words of the model's vocabulary. */
function makeTexts(n: number): string[] {
  return Array.from({ length: n }, (_, i) => {
    const words = Array.from(
      { length: 34 + (i % 7) },
      (_, j) => WORDS[(i * 31 + j * 17 + ((i * j) % 5)) % WORDS.length]!,
    );
    return `${words.join(' ')}.`;
  });
}

/** Warm-up: one upload per system (which opens every shard of the runs), the same for bare. */
const warmUpTexts = (texts: string[]) => texts.slice(0, SHAPE.recordsPerUpload * SHAPE.systems);

interface Run {
  wallS: number;
  cpu: CpuSample;
  embedCalls?: number;
}

interface Variant {
  label: string;
  kind: 'bare' | 'pipeline' | 'hashing';
  dtype?: ModelDtype;
  run: () => Promise<Run>;
  /** throws when the store does not hold what the runs published */
  check?: () => Promise<void>;
  close: () => Promise<unknown>;
  runs: Run[];
}

function envFor(modelDir: string, dtype: ModelDtype | 'hashing'): Record<string, string> {
  const env: Record<string, string> = {};
  for (const name of PASSED_ON) if (process.env[name]) env[name] = process.env[name];
  if (dtype === 'hashing') return { ...env, AKOSHA_EMBEDDER: 'hashing' };
  return {
    ...env,
    AKOSHA_EMBEDDER: 'model',
    AKOSHA_EMBEDDING_MODEL: modelDir,
    AKOSHA_EMBEDDING_DTYPE: dtype,
    AKOSHA_EMBEDDING_WORKERS: WORKERS,
    AKOSHA_EMBEDDING_BATCH: values.batch,
  };
}

async function pipelineVariant(
  modelDir: string,
  dtype: ModelDtype | 'hashing',
  texts: string[],
): Promise<{ variant: Variant; put: PipelineUnderTest }> {
  const label = dtype === 'hashing' ? 'hashing' : `pipeline-${dtype}`;
  const put = await PipelineUnderTest.start(label, envFor(modelDir, dtype), SHAPE);
  const warmUp = warmUpTexts(texts);
  await put.run(warmUp).catch(async (err: unknown) => {
    await put.close();
    throw err;
  });
  const variant: Variant = {
    label:
      dtype === 'hashing'
        ? 'pipeline, hashing embedder (reference)'
        : `pipeline (ingest + writer), ${dtypeLabel(dtype)}`,
    kind: dtype === 'hashing' ? 'hashing' : 'pipeline',
    ...(dtype !== 'hashing' && { dtype }),
    run: () => put.run(texts),
    check: async () => {
      const expected = warmUp.length + variant.runs.length * texts.length;
      const stored = await put.count();
      if (stored !== expected)
        throw new Error(`${label}: ${stored} records stored, not ${expected}`);
    },
    close: () => put.close(),
    runs: [],
  };
  return { variant, put };
}

const dtypeLabel = (dtype: ModelDtype) => (dtype === 'q8' ? 'int8' : dtype);

/** The pipeline's embedder, from the pipeline's own config, called as the embed stage would. */
async function bareVariant(
  put: PipelineUnderTest,
  texts: string[],
): Promise<Variant & { tokens: number }> {
  const { config } = put.pipeline;
  const embedder = await createEmbedder(config.embedder);
  if (!(embedder instanceof WorkerPoolEmbedder)) throw new Error('expected a worker pool');
  const perCall = config.ingest.batchSize * SHAPE.recordsPerUpload;
  const pass = async (of: string[]) => {
    for (let i = 0; i < of.length; i += perCall) await embedder.embed(of.slice(i, i + perCall));
  };
  await pass(warmUpTexts(texts));
  const dtype = config.embedder.dtype!;
  return {
    label: `bare WorkerPoolEmbedder ${embedder.size}×1 thread, ${dtypeLabel(dtype)}`,
    kind: 'bare',
    dtype,
    run: async () => {
      const cpu0 = cpuNow();
      const t0 = performance.now();
      await pass(texts);
      return { wallS: (performance.now() - t0) / 1000, cpu: cpuSince(cpu0, cpuNow()) };
    },
    close: () => embedder.close(),
    runs: [],
    tokens: (await embedder.countTokens(texts)).reduce((a, b) => a + b + 2, 0),
  };
}

/** The same, in a process of its own pinned to the embed stage's CPU. */
async function pinnedBareVariant(
  put: PipelineUnderTest,
  env: Record<string, string>,
  texts: string[],
): Promise<Variant & { tokens: number }> {
  const { config } = put.pipeline;
  const child = BareProcess.start(EMBED_CPU);
  try {
    const perCall = config.ingest.batchSize * SHAPE.recordsPerUpload;
    const start = { op: 'start', env, texts, perCall, warmUp: warmUpTexts(texts).length } as const;
    const ready = await child.ask(start, 'ready');
    const dtype = config.embedder.dtype!;
    return {
      label: `bare, own process: ${ready.workers}×1 thread, ${dtypeLabel(dtype)}`,
      kind: 'bare',
      dtype,
      run: async () => {
        const { wallS, cpu } = await child.ask({ op: 'run' }, 'ran');
        return { wallS, cpu: { ...cpu, nats: 0, rest: 0 } };
      },
      close: () => child.close(),
      runs: [],
      tokens: ready.tokens,
    };
  } catch (err) {
    await child.close();
    throw err;
  }
}

const median = (xs: number[]) => {
  const s = [...xs].sort((a, b) => a - b);
  const m = s.length >> 1;
  return s.length % 2 ? s[m]! : (s[m - 1]! + s[m]!) / 2;
};

/** The run of median wall time (for an even count, the faster of the middle two). */
const medianRun = (runs: Run[]) =>
  [...runs].sort((a, b) => a.wallS - b.wallS)[(runs.length - 1) >> 1]!;

function table(variants: Variant[], tokens: number): void {
  const head = [
    'configuration'.padEnd(40),
    'records/s'.padStart(9),
    'tokens/s'.padStart(9),
    'min–max rec/s'.padStart(15),
    'wall s'.padStart(7),
    'cpu/wall'.padStart(8),
    'main thr'.padStart(8),
    'nats'.padStart(5),
    ...(PINNED ? ['writer+harness'] : []),
    'texts/call'.padStart(10),
  ];
  console.log(head.join('  '));
  for (const v of variants) {
    const wall = median(v.runs.map((r) => r.wallS));
    const mid = medianRun(v.runs);
    const rates = v.runs.map((r) => N / r.wallS);
    console.log(
      [
        v.label.padEnd(40),
        fmt(N / wall).padStart(9),
        fmt(tokens / wall).padStart(9),
        `${fmt(Math.min(...rates))}–${fmt(Math.max(...rates))}`.padStart(15),
        fmt(wall, 2).padStart(7),
        fmt(mid.cpu.process / mid.wallS, 2).padStart(8),
        fmt(mid.cpu.main / mid.wallS, 2).padStart(8),
        (v.kind === 'bare' ? '' : fmt(mid.cpu.nats / mid.wallS, 2)).padStart(5),
        ...(PINNED
          ? [(v.kind === 'bare' ? '' : fmt(mid.cpu.rest / mid.wallS, 2)).padStart(14)]
          : []),
        (mid.embedCalls ? fmt(N / mid.embedCalls) : '').padStart(10),
      ].join('  '),
    );
  }
}

/**
 * Ratios of throughput, per round (the two runs of a round are close in time, so a burst
 * of load from elsewhere hits both), then the median over the rounds.
 */
function ratio(variants: Variant[], a: Pick<Variant, 'kind' | 'dtype'>, b: typeof a): number {
  const find = (k: typeof a) => variants.find((v) => v.kind === k.kind && v.dtype === k.dtype)!;
  const [over, under] = [find(a), find(b)];
  return median(over.runs.map((r, i) => under.runs[i]!.wallS / r.wallS));
}

function verdicts(variants: Variant[]): void {
  const ratios = {
    fp32: ratio(variants, { kind: 'pipeline', dtype: 'fp32' }, { kind: 'bare', dtype: 'fp32' }),
    int8: ratio(variants, { kind: 'pipeline', dtype: 'q8' }, { kind: 'bare', dtype: 'q8' }),
    bare: ratio(variants, { kind: 'bare', dtype: 'q8' }, { kind: 'bare', dtype: 'fp32' }),
    pipeline: ratio(
      variants,
      { kind: 'pipeline', dtype: 'q8' },
      { kind: 'pipeline', dtype: 'fp32' },
    ),
  };
  console.log(
    `\nratios (median of the per-round ratios):\n` +
      `  pipeline / bare:  fp32 ${fmt(ratios.fp32, 3)}   int8 ${fmt(ratios.int8, 3)}\n` +
      `  int8 / fp32:      bare ${fmt(ratios.bare, 2)}×   pipeline ${fmt(ratios.pipeline, 2)}×\n`,
  );
  const verdict = (what: string, value: number, target: number, digits: number) =>
    console.log(
      `target ${what.padEnd(22)} ≥ ${target}: ${fmt(value, digits)} → ${value >= target ? 'met' : 'NOT met'}`,
    );
  verdict('pipeline/bare, fp32', ratios.fp32, 0.9, 3);
  verdict('pipeline/bare, int8', ratios.int8, 0.9, 3);
  verdict('int8/fp32, pipeline', ratios.pipeline, 2, 2);
  verdict('int8/fp32, bare', ratios.bare, 2, 2);
}

const loadavg = () => readFileSync('/proc/loadavg', 'utf8').split(' ').slice(0, 3).join(' ');

interface Bench {
  variants: Variant[];
  /** the fp32 pipeline's config: what the bench ran with */
  config: AkoshaConfig;
  tokens: number;
}

async function start(modelDir: string, texts: string[]): Promise<Bench> {
  const variants: Variant[] = [];
  try {
    let config: AkoshaConfig | undefined;
    let tokens = 0;
    for (const dtype of ['fp32', 'q8'] as const) {
      const { variant, put } = await pipelineVariant(modelDir, dtype, texts);
      variants.push(variant);
      const bare = PINNED
        ? await pinnedBareVariant(put, envFor(modelDir, dtype), texts)
        : await bareVariant(put, texts);
      variants.splice(variants.length - 1, 0, bare); // bare first, then its pipeline
      config ??= put.pipeline.config;
      tokens ||= bare.tokens;
    }
    if (!values['no-hashing'])
      variants.push((await pipelineVariant(modelDir, 'hashing', texts)).variant);
    return { variants, config: config!, tokens };
  } catch (err) {
    await Promise.all(variants.map((v) => v.close()));
    throw err;
  }
}

function describe(config: AkoshaConfig, tokens: number, startS: number): string {
  const { ingest, embedder, writer } = config;
  return (
    `model ${modelLabel(config)}; ${CORES} cores\n` +
    `layout: ${layoutLine()}\n` +
    `${N} texts, ${fmt(tokens / N, 1)} tokens each on average ([CLS]/[SEP] included), as ` +
    `uploads of ${SHAPE.recordsPerUpload} records from ${SHAPE.systems} systems\n` +
    `embedder: ${embedder.workers} workers × 1 intra-op thread, ${embedder.batchSize} texts per ` +
    `ONNX run; bare: ${ingest.batchSize * SHAPE.recordsPerUpload} texts per embed() call at most\n` +
    `pipeline: ${ingest.workers} embed-stage workers, batches of ≤ ${ingest.batchSize} messages ` +
    `(linger ${ingest.batchLingerMs} ms), ${writer.groups.length} writer groups, writer ` +
    `concurrency ${writer.concurrency}\n` +
    `started and warmed in ${fmt(startS, 1)} s; ${ROUNDS} interleaved rounds, median; ` +
    `load average before: ${loadavg()}\n`
  );
}

async function idleCores(): Promise<number> {
  const cpu0 = cpuNow();
  await sleep(3000);
  return cpuSince(cpu0, cpuNow()).process / 3;
}

const modelLabel = (config: AkoshaConfig) => config.embedder.model ?? '';

const layoutLine = () =>
  PINNED
    ? `pinned (taskset): embed stage (akosha start --roles ingest) and bare pool each in a ` +
      `process of their own on CPU ${EMBED_CPU}; shard writer, nats-server and harness on CPU ` +
      `${OTHER_CPUS}. cpu/wall and main thr: the embedding process's (embed stage or bare)`
    : 'shared: embed stage, shard writer, bare pool and harness in this process, on every core';

async function main(): Promise<void> {
  console.log(machineLine(localServerVersion()));
  // first: nats-server, DuckDB's and the writer's threads inherit this process's CPUs
  if (PINNED) pinAll(process.pid, OTHER_CPUS);
  const t0 = Date.now();
  const modelDir = ensureModel(MINILM_L6_MODEL);
  const texts = makeTexts(N);
  const { variants, config, tokens } = await start(modelDir, texts);
  try {
    console.log(describe(config, tokens, (Date.now() - t0) / 1000));
    console.log(`stand-by CPU of all configurations, idle: ${fmt(await idleCores(), 3)} cores\n`);
    for (let r = 0; r < ROUNDS; r++) for (const v of variants) v.runs.push(await v.run());
    for (const v of variants) await v.check?.();
  } finally {
    await Promise.all(variants.map((v) => v.close()));
  }
  table(variants, tokens);
  verdicts(variants);
  console.log(`load average after: ${loadavg()}`);
}

main().catch((err: unknown) => {
  console.error(err);
  process.exit(1);
});
