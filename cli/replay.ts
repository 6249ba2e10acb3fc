import { readFileSync } from 'node:fs';
import { Presets, SingleBar } from 'cli-progress';
import type { Command } from 'commander';
import { connect, type NatsConnection } from '@nats-io/transport-node';
import { createEmbedder, embedderModelId } from '../embedding';
import {
  type AkoshaConfig,
  AkoshaError,
  createLogger,
  loadConfig,
  natsConnectOptions,
} from '../infra';
import { auditCli, type CliAction } from '../audit';
import { DeadLetterStage } from '../schemas';
import { HotStore, openTiers } from '../storage';
import {
  announcePending,
  type DeadLetterFilter,
  DeadLetterOps,
  refuseOwnedShards,
  type ReplayProgress,
  replayUploads,
  resyncSharedVectors,
  selectedShards,
  verifyShards,
  verifySharedVectors,
} from '../operations';
import { replayOnline, type OnlineReplayFlags } from './replay-online';
import { runGraphReplay, runGraphVerify } from './replay-graph';

interface ReplayFlags extends OnlineReplayFlags {
  online?: boolean;
  graph?: boolean;
}

interface FilterFlags {
  stage?: DeadLetterStage;
  code?: string;
  system?: string;
  since?: Date;
}

/** `akosha replay`, `akosha verify` and `akosha dlq list|show|requeue|purge`. */
export function registerReplayCommands(program: Command): void {
  program
    .command('replay')
    .description(
      'rebuild hot shards from AKOSHA_UPLOADS (idempotent; publishes no events). ' +
        'Opens the shard files itself, so it refuses shards a live writer owns: ' +
        'stop that writer, or use --online.',
    )
    .option('--from-seq <n>', 'start at this AKOSHA_UPLOADS sequence', positiveInt)
    .option('--since <time>', 'start at this time (ISO-8601, or an age like 90m, 12h, 7d)', time)
    .option('--system <id>', 'only this system')
    .option('--shard <n>', 'only this shard (0-255)', shardNumber)
    .option('--dry-run', 'read and validate only; write nothing')
    .option('--batch-bytes <n>', 'upload bytes per embed call and shard transaction', positiveInt)
    .option('--online', 'have the live writer that owns the shard replay it into its own store')
    .option('--online-timeout-s <n>', 'how long --online waits for the writer (3600)', positiveInt)
    .option('--graph', 'rebuild the knowledge graph instead: clear it, apply all of AKOSHA_GRAPH')
    .action((flags: ReplayFlags) =>
      auditCli(loadConfig(), replayAudit(flags), () => runReplay(flags)),
    );

  program
    .command('verify')
    .description(
      'compare the record keys the uploads stream would store with those held over hot, warm ' +
        'and cold, and (without --shard) the graph statements AKOSHA_GRAPH would give with the graph',
    )
    .option('--shard <n>', 'only this shard (0-255)', shardNumber)
    .action((flags: { shard?: number }) =>
      auditCli(loadConfig(), { action: 'verify', detail: { shard: flags.shard } }, () =>
        runVerify(flags.shard),
      ),
    );

  registerDlqCommands(program.command('dlq').description('inspect and re-drive dead letters'));
}

function registerDlqCommands(dlq: Command): void {
  const filters = (cmd: Command) =>
    cmd
      .option('--stage <stage>', DeadLetterStage.options.join(' | '), stage)
      .option('--code <code>', 'reason code, e.g. SCHEMA_INVALID')
      .option('--system <id>', 'system_id')
      .option('--since <time>', 'failed at or after (ISO-8601, or an age like 90m, 12h, 7d)', time);
  filters(dlq.command('list').description('list dead letters, one JSON line each'))
    .option('--after <seq>', 'page: letters after this DLQ sequence', positiveInt)
    .option('--limit <n>', 'page size (default 100)', positiveInt)
    .action((f: FilterFlags & { after?: number; limit?: number }) =>
      auditCli(loadConfig(), listAudit(f), () => withDlq((ops) => listLetters(ops, f))),
    );
  dlq
    .command('show <seq>')
    .description('one letter, its payload decoded, and where the payload is kept')
    .action(showLetter);
  dlq
    .command('requeue <seq...>')
    .description('republish the payload where it failed, then delete the letter')
    .option('--payload-file <file>', 'corrected payload (a record letter: the record JSON)')
    .option('--force', 'republish even if the payload still fails validation')
    .action((seqs: string[], f: { payloadFile?: string; force?: boolean }) =>
      auditCli(loadConfig(), requeueAudit(seqs, f), () =>
        withDlq(async (ops) => {
          const replacement = f.payloadFile ? readFileSync(f.payloadFile) : undefined;
          for (const seq of seqs) {
            try {
              print(await ops.requeue(positiveInt(seq), { replacement, force: f.force }));
            } catch (err) {
              if (!(err instanceof AkoshaError)) throw err;
              throw new Error(
                `letter ${seq} still fails validation (${err.code}: ${err.message}); ` +
                  'fix it with --payload-file, or republish as is with --force',
              );
            }
          }
        }),
      ),
    );
  filters(
    dlq
      .command('purge')
      .description('delete the letters matching the filters, with their payload objects'),
  )
    .option('--all', 'required when no filter is given')
    .action((f: FilterFlags & { all?: boolean }) =>
      auditCli(loadConfig(), purgeAudit(f), () =>
        withDlq(async (ops) => {
          const filter = toFilter(f);
          if (!f.all && Object.values(filter).every((v) => v === undefined))
            throw new Error('no filter given: pass --all to purge every dead letter');
          print({ purged: await ops.purge(filter) });
        }),
      ),
    );
}

const replayAudit = (f: ReplayFlags): CliAction => ({
  action: 'replay',
  target: f.system !== undefined ? { system: f.system } : {},
  detail: {
    from_seq: f.fromSeq,
    since: f.since,
    shard: f.shard,
    dry_run: f.dryRun,
    online: f.online,
    graph: f.graph,
  },
});

const showLetter = (seq: string) =>
  auditCli(loadConfig(), { action: 'dlq.show', target: { sequence: Number(seq) } }, () =>
    withDlq(async (ops) => print(await ops.show(positiveInt(seq)), true)),
  );

const listAudit = (f: FilterFlags & { after?: number; limit?: number }): CliAction => ({
  action: 'dlq.list',
  target: f.system !== undefined ? { system: f.system } : {},
  detail: { filter: { stage: f.stage, code: f.code, since: f.since }, after: f.after },
});

const requeueAudit = (seqs: string[], f: { payloadFile?: string; force?: boolean }): CliAction => ({
  action: 'dlq.requeue',
  target: { sequence: seqs.map(Number) },
  detail: { force: f.force === true, replacement: f.payloadFile !== undefined },
});

const purgeAudit = (f: FilterFlags & { all?: boolean }): CliAction => ({
  action: 'dlq.purge',
  target: f.system !== undefined ? { system: f.system } : {},
  detail: { filter: { stage: f.stage, code: f.code, since: f.since }, all: f.all === true },
});

async function runReplay(flags: ReplayFlags): Promise<void> {
  if (flags.fromSeq !== undefined && flags.since !== undefined)
    throw new Error('give --from-seq or --since, not both');
  const config = loadConfig();
  await withNats(config, async (nc) => {
    if (flags.graph) {
      const other = ['online', 'shard', 'system', 'fromSeq', 'since', 'dryRun'] as const;
      if (other.some((k) => flags[k] !== undefined))
        throw new Error('--graph rebuilds the whole graph: give it alone');
      return print(await runGraphReplay(nc, config, new ReplayBar()));
    }
    if (flags.online) return print(await replayOnline(nc, config, flags));
    const shards = selectedShards(flags);
    const { shardGroups } = config.streams;
    const alternative = 'replay one shard through it with --online (--shard or --system)';
    await refuseOwnedShards(nc, { command: 'akosha replay', shards, shardGroups, alternative });
    const embedder = await createEmbedder(config.embedder);
    const store = await HotStore.open(config.writer.hotDir, {
      ...config.writer,
      model: embedderModelId(config.embedder),
    });
    const bar = new ReplayBar();
    try {
      if (!flags.dryRun) await learnAgedKeys(config, store);
      const summary = await replayUploads({
        nc,
        store,
        embedder,
        maxMessageBytes: config.ingest.maxMessageBytes,
        chunkMaxBytes: Math.min(nc.info?.max_payload ?? 1024 * 1024, config.ingest.maxMessageBytes),
        fromSeq: flags.fromSeq,
        since: flags.since,
        systemId: flags.system,
        shard: flags.shard,
        dryRun: flags.dryRun,
        batchBytes: flags.batchBytes,
        // the model embedder has its own worker pool
        workerThread: embedder.info.name === 'hashing',
        onProgress: (p) => bar.update(p),
      });
      bar.stop();
      const log = createLogger(config.logLevel);
      const announced = summary.dryRun
        ? undefined
        : await announcePending(nc, store, embedder.info, log);
      // the shared collection follows the replayed shards (no writer's upkeep runs here)
      const vectors = summary.dryRun
        ? undefined
        : await resyncSharedVectors(store, config.writer.vectorStore);
      print({ ...summary, ...(announced && { announced }), ...(vectors && { vectors }) });
    } finally {
      bar.stop();
      await store.close();
      await embedder.close();
    }
  });
}

async function runVerify(shard: number | undefined): Promise<void> {
  const config = loadConfig();
  await withNats(config, async (nc) => {
    const { shardGroups } = config.streams;
    await refuseOwnedShards(nc, {
      command: 'akosha verify',
      shards: selectedShards({ shard }),
      shardGroups,
    });
    const store = await HotStore.open(config.writer.hotDir, {
      ...config.writer,
      model: embedderModelId(config.embedder),
    });
    const mover = await openTiers(store, config.aging);
    try {
      const report = await verifyShards({
        nc,
        store,
        mover,
        maxMessageBytes: config.ingest.maxMessageBytes,
        shard,
      });
      const graph = shard === undefined ? await runGraphVerify(nc, config) : undefined;
      const shards = report.shards.map((s) => s.shard);
      const vectors = await verifySharedVectors(store, config.writer.vectorStore, shards);
      const ok = report.ok && (graph?.ok ?? true) && (vectors?.ok ?? true);
      print({ ...report, ...(graph && { graph }), ...(vectors && { vectors }), ok }, true);
      if (!ok) process.exitCode = 1;
    } finally {
      await mover.close();
      await store.close();
    }
  });
}

/** Open moves finished and the key index filled from warm and cold: replay stores none of them again. */
async function learnAgedKeys(config: AkoshaConfig, store: HotStore): Promise<void> {
  const mover = await openTiers(store, config.aging);
  try {
    await mover.recover();
  } finally {
    await mover.close();
  }
}

async function listLetters(
  ops: DeadLetterOps,
  f: FilterFlags & { after?: number; limit?: number },
): Promise<void> {
  const page = await ops.list(toFilter(f), {
    ...(f.after !== undefined && { afterSeq: f.after }),
    ...(f.limit !== undefined && { limit: f.limit }),
  });
  for (const { seq, letter } of page.letters) {
    const { payload_base64: _p, ...rest } = letter;
    print({ seq, ...rest });
  }
  if (page.next !== undefined) console.error(`more: --after ${page.next}`);
}

async function withDlq(task: (ops: DeadLetterOps) => Promise<void>): Promise<void> {
  const config = loadConfig();
  await withNats(config, async (nc) =>
    task(await DeadLetterOps.create(nc, config.ingest.maxMessageBytes)),
  );
}

async function withNats(
  config: AkoshaConfig,
  task: (nc: NatsConnection) => Promise<void>,
): Promise<void> {
  const nc = await connect(natsConnectOptions(config.nats, { name: 'akosha-ops' }));
  try {
    await task(nc);
  } finally {
    await nc.close();
  }
}

const toFilter = (f: FilterFlags): DeadLetterFilter => ({
  stage: f.stage,
  code: f.code,
  systemId: f.system,
  since: f.since,
});

function print(value: unknown, pretty = false): void {
  console.log(JSON.stringify(value, null, pretty ? 2 : undefined));
}

function positiveInt(value: string): number {
  const n = Number(value);
  if (!Number.isInteger(n) || n < 1) throw new Error(`expected a positive integer, got "${value}"`);
  return n;
}

function shardNumber(value: string): number {
  const n = Number(value);
  if (!Number.isInteger(n) || n < 0 || n > 255)
    throw new Error(`expected a shard 0..255, got "${value}"`);
  return n;
}

function stage(value: string): DeadLetterStage {
  return DeadLetterStage.parse(value);
}

const AGE_UNITS_MS: Record<string, number> = { s: 1000, m: 60_000, h: 3_600_000, d: 86_400_000 };

/** ISO-8601, or an age before now: 90s, 30m, 12h, 7d. */
export function time(value: string): Date {
  const age = /^(\d+)([smhd])$/.exec(value);
  if (age) return new Date(Date.now() - Number(age[1]) * AGE_UNITS_MS[age[2]!]!);
  const ms = Date.parse(value);
  if (Number.isNaN(ms)) throw new Error(`expected ISO-8601 or an age like 12h, got "${value}"`);
  return new Date(ms);
}

/** Upload messages done / total with rate and ETA, on stderr. */
class ReplayBar {
  private readonly bar = new SingleBar(
    {
      format:
        'replay |{bar}| {value}/{total} messages | {records} records | {rate} rec/s | ETA {eta_formatted}',
      stream: process.stderr,
      hideCursor: true,
      etaBuffer: 20,
    },
    Presets.shades_classic,
  );
  private startedAt = 0;

  update({ messages, total, records }: ReplayProgress): void {
    const seconds = Math.max((Date.now() - this.startedAt) / 1000, 0.001);
    const payload = { records, rate: Math.round(records / seconds).toString() };
    if (this.startedAt === 0) {
      this.startedAt = Date.now();
      this.bar.start(total, messages, { ...payload, rate: '0' });
      return;
    }
    this.bar.update(messages, payload);
  }

  stop(): void {
    if (this.startedAt !== 0) this.bar.stop();
    this.startedAt = 0;
  }
}
