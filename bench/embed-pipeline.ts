/**
 * Helpers of bench/embed.ts: the whole pipeline (app/pipeline.ts, roles ingest +
 * writer) on a nats-server of its own, fed uploads and timed until every record
 * is stored; and CPU accounting of this process, its main thread and a child.
 */
import { rmSync } from 'node:fs';
import { join } from 'node:path';
import { jetstream, type JetStreamClient } from '@nats-io/jetstream';
import { connect, type NatsConnection } from '@nats-io/transport-node';
import { Pipeline } from '../app/pipeline';
import type { Role } from '../app/roles';
import { loadConfig, type AkoshaConfig } from '../infra/config';
import { createLogger } from '../infra/logger';
import { startNatsServer, type LocalNatsServer } from '../infra/nats-server';
import { shardOf } from '../schemas/ids';
import type { IngestedEvent } from '../schemas/ingested';
import { subjects } from '../streams/subjects';
import { IngestProcess, statCpuS } from './embed-processes';
import { tempDir } from './lib';

export interface CpuSample {
  /**
   * every thread of the embedding process: main, embedding workers, DuckDB, libuv, GC
   * (this process, or the pinned embed-stage process of the deployed layout)
   */
  process: number;
  /** its main JavaScript thread: NATS client, decode/encode, the stages' own work */
  main: number;
  /** nats-server (a child process); 0 for runs without one */
  nats: number;
  /** this process when the embed stage runs in another one: shard writer and harness */
  rest: number;
}

export function cpuNow(natsPid?: number, embedPid?: number): CpuSample {
  const usage = process.cpuUsage();
  const self = (usage.user + usage.system) / 1e6;
  const nats = natsPid ? statCpuS(`/proc/${natsPid}/stat`) : 0;
  if (embedPid) {
    const process = statCpuS(`/proc/${embedPid}/stat`);
    return { process, main: statCpuS(`/proc/${embedPid}/task/${embedPid}/stat`), nats, rest: self };
  }
  return { process: self, main: statCpuS(`/proc/self/task/${process.pid}/stat`), nats, rest: 0 };
}

export const cpuSince = (t0: CpuSample, t1: CpuSample): CpuSample => ({
  process: t1.process - t0.process,
  main: t1.main - t0.main,
  nats: t1.nats - t0.nats,
  rest: t1.rest - t0.rest,
});

export interface PipelineRun {
  wallS: number;
  cpu: CpuSample;
  /** embedder calls the embed stage made in this run */
  embedCalls: number;
}

export interface PipelineShape {
  recordsPerUpload: number;
  systems: number;
  /** the deployed layout: the embed stage in a process of its own pinned to these CPUs */
  embedOn?: string | undefined;
}

interface Waiting {
  prefix: string;
  expected: number;
  stored: number;
  last: number;
  done: () => void;
}

/**
 * One Pipeline (ingest + writer roles: embed stage, shard writers, DuckDB hot
 * shards) in this process, on a nats-server of its own with a temp data dir.
 * A run publishes texts as uploads of `recordsPerUpload` records from `systems`
 * systems (new ones on the same shards each run) and ends with the ingest-complete event that brings the stored count
 * of this run to the number of texts.
 */
export class PipelineUnderTest {
  private waiting: Waiting | undefined;
  private runs = 0;

  private constructor(
    readonly label: string,
    readonly pipeline: Pipeline,
    private readonly server: LocalNatsServer,
    private readonly nc: NatsConnection,
    private readonly js: JetStreamClient,
    private readonly dir: string,
    private readonly shape: PipelineShape,
    private readonly ingest?: IngestProcess,
  ) {
    nc.subscribe(subjects.ingestedAll, { callback: (_err, msg) => this.onEvent(msg.json()) });
  }

  /** `env`: AKOSHA_* settings on top of this run's nats URL and data dir. */
  static async start(
    label: string,
    env: Record<string, string>,
    shape: PipelineShape,
  ): Promise<PipelineUnderTest> {
    const dir = tempDir('embed-pipeline');
    const server = await startNatsServer({ storeDir: join(dir, 'nats') });
    let ingest: IngestProcess | undefined;
    try {
      const config = pipelineConfig(server.url, dir, env);
      const roles: Role[] = shape.embedOn ? ['writer'] : ['ingest', 'writer'];
      const pipeline = await Pipeline.start(config, roles, createLogger('warn'));
      if (shape.embedOn)
        ingest = await IngestProcess.start(shape.embedOn, ingestEnv(server.url, dir, env));
      const nc = await connect({ servers: server.url });
      return new PipelineUnderTest(label, pipeline, server, nc, jetstream(nc), dir, shape, ingest);
    } catch (err) {
      await ingest?.close();
      await server.stop();
      rmSync(dir, { recursive: true, force: true });
      throw err;
    }
  }

  get natsPid(): number | undefined {
    return this.server.process.pid;
  }

  /** Stores these texts through the pipeline: from the first publish to the last record stored. */
  async run(texts: string[]): Promise<PipelineRun> {
    const tag = `${this.label}-r${this.runs++}`;
    const uploads = this.uploads(tag, texts);
    const calls0 = await this.embedCalls();
    const cpu0 = cpuNow(this.natsPid, this.ingest?.pid);
    const t0 = performance.now();
    const stored = new Promise<number>((resolve) => {
      this.waiting = {
        prefix: `${tag}-`,
        expected: texts.length,
        stored: 0,
        last: 0,
        done: () => resolve(this.waiting!.last),
      };
    });
    await Promise.all(
      uploads.map(([subject, body, msgID]) => this.js.publish(subject, body, { msgID })),
    );
    const last = await withTimeout(
      stored,
      600_000,
      () => `${tag}: ${this.waiting?.stored} of ${texts.length} records stored after 10 min`,
    );
    const cpu = cpuSince(cpu0, cpuNow(this.natsPid, this.ingest?.pid));
    this.waiting = undefined;
    return { wallS: (last - t0) / 1000, cpu, embedCalls: (await this.embedCalls()) - calls0 };
  }

  /** Records in the hot shards (a check after the runs, not inside a timed window). */
  count(): Promise<number> {
    return this.pipeline.store!.count();
  }

  async close(): Promise<void> {
    await this.nc.close();
    await this.ingest?.close();
    await this.pipeline.close();
    await this.server.stop();
    rmSync(this.dir, { recursive: true, force: true });
  }

  /** The uploads of a run: [subject, body, msgID]. */
  private uploads(tag: string, texts: string[]): [string, string, string][] {
    const { recordsPerUpload, systems } = this.shape;
    const names = Array.from({ length: systems }, (_, k) => systemOnShard(tag, k));
    const now = new Date().toISOString();
    const out: [string, string, string][] = [];
    for (let first = 0, u = 0; first < texts.length; first += recordsPerUpload, u++) {
      const system = names[u % systems]!;
      const upload = {
        schema_version: 1,
        upload_id: `${tag}-${u}`,
        system_id: system,
        created_at: now,
        records: texts.slice(first, first + recordsPerUpload).map((content, j) => ({
          id: `m-${first + j}`,
          kind: 'conversation',
          content,
          timestamp: now,
        })),
      };
      out.push([
        subjects.upload(shardOf(system), system),
        JSON.stringify(upload),
        upload.upload_id,
      ]);
    }
    return out;
  }

  private onEvent(event: IngestedEvent): void {
    const w = this.waiting;
    if (!w || !event.upload_id.startsWith(w.prefix)) return;
    const { duplicate, rejected } = event.counts;
    if (duplicate || rejected)
      console.error(`${event.upload_id}: ${duplicate} duplicate, ${rejected} rejected records`);
    w.stored += event.counts.stored + duplicate + rejected;
    w.last = performance.now();
    if (w.stored >= w.expected) w.done();
  }

  private async embedCalls(): Promise<number> {
    if (this.ingest) return this.ingest.embedCalls();
    const { values } = await this.pipeline.metrics.embedDuration.get();
    return values
      .filter((v) => v.metricName?.endsWith('_count'))
      .reduce((sum, v) => sum + v.value, 0);
  }
}

/**
 * The store treats the same content from the same system as a duplicate: each run
 * sends the texts from systems of its own, on the same shards as every other run
 * (bench-host-<k>'s), so that every record is stored into shards already open.
 */
function systemOnShard(tag: string, k: number): string {
  const shard = shardOf(`bench-host-${k}`);
  for (let n = 0; ; n++) {
    const system = `bench-${tag}-${k}-${n}`;
    if (shardOf(system) === shard) return system;
  }
}

function pipelineEnv(url: string, dataDir: string, env: Record<string, string>) {
  return {
    AKOSHA_NATS_URL: url,
    AKOSHA_START_NATS: 'never',
    AKOSHA_DATA_DIR: dataDir,
    AKOSHA_HTTP_PORT: '0', // its probe listener: any free port
    AKOSHA_LOG_LEVEL: 'warn',
    AKOSHA_MAHAVISHNU_URL: '',
    ...env,
  };
}

const pipelineConfig = (url: string, dir: string, env: Record<string, string>): AkoshaConfig =>
  loadConfig(pipelineEnv(url, join(dir, 'data'), env));

/** The embed-stage process's own: same settings, a data directory apart from the writer's. */
const ingestEnv = (url: string, dir: string, env: Record<string, string>) =>
  pipelineEnv(url, join(dir, 'ingest-data'), env);

function withTimeout<T>(promise: Promise<T>, ms: number, message: () => string): Promise<T> {
  let timer: NodeJS.Timeout | undefined;
  const timeout = new Promise<never>((_, reject) => {
    timer = setTimeout(() => reject(new Error(message())), ms);
  });
  return Promise.race([promise, timeout]).finally(() => clearTimeout(timer));
}
