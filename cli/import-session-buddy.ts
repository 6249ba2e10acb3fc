import { hostname } from 'node:os';
import { Presets, SingleBar } from 'cli-progress';
import type { Command } from 'commander';
import { jetstream } from '@nats-io/jetstream';
import { connect, type NatsConnection } from '@nats-io/transport-node';
import { auditCli } from '../audit';
import { AkoshaError, type NatsClientSettings, natsConnectOptions } from '../infra';
import { normaliseSystemId } from '../schemas';
import { type ImportProgress, importSessionBuddy, type SkippedRow } from '../producers';
import { runGraphImport } from './import-session-buddy-graph';
import { SystemRunAudit } from './system-run-audit';

export interface ImportCommandContext {
  /** the configured server, credentials and TLS; `creds` replaces the configured credentials */
  nats: (creds?: string) => NatsClientSettings;
}

export interface ImportCommandOptions {
  systemId?: string;
  nats: NatsClientSettings;
  recordsPerUpload?: number;
  /** a knowledge_graph.duckdb to publish as graph messages */
  graph?: string;
}

/** Skipped rows listed after the run; the summary carries the full count. */
const SKIPPED_ROWS_SHOWN = 10;

export function registerImportCommand(program: Command, ctx: ImportCommandContext): void {
  program
    .command('import-session-buddy [file]')
    .description(
      'publish the memories of a Session-Buddy reflection.duckdb (plain or gzip) as uploads; with --graph, its knowledge graph too',
    )
    .option(
      '--system-id <id>',
      'system the memories come from (default: this host name, normalised)',
    )
    .option(
      '--records-per-upload <n>',
      'records per upload message (default 1000)',
      parsePositiveInt,
    )
    .option(
      '--graph <file>',
      "a knowledge_graph.duckdb (plain or gzip) to publish as graph messages, with the reflection file's memory entities",
    )
    .option('--creds <file>', 'NATS nkey seed or .creds file (default AKOSHA_NATS_CREDS)')
    .action(
      (
        file: string | undefined,
        opts: { systemId?: string; recordsPerUpload?: number; graph?: string; creds?: string },
      ) => {
        const { creds, ...rest } = opts;
        if (file === undefined && rest.graph === undefined)
          throw new Error('give a reflection.duckdb, a --graph knowledge_graph.duckdb, or both');
        return runImportCommand(file, { ...rest, nats: ctx.nats(creds) });
      },
    );
}

/**
 * `akosha import-session-buddy [file] [--graph <kg file>]`: progress on stderr, a one-line JSON
 * summary per import on stdout (records first, then the graph).
 */
export async function runImportCommand(
  file: string | undefined,
  opts: ImportCommandOptions,
): Promise<void> {
  const systemId = resolveSystemId(opts.systemId);
  // one event per run, on the system's own audit subject, with the import's credentials
  const audit = new SystemRunAudit('import_session_buddy', systemId);
  try {
    await auditCli(
      opts,
      () => audit.toAction(),
      () => importFiles(file, systemId, opts, audit),
    );
  } catch (err) {
    if (!(err instanceof AkoshaError)) throw err;
    console.error(`${err.code}: ${err.message}`);
    for (const issue of err.issues) console.error(`  ${issue.path}: ${issue.message}`);
    process.exitCode = 2;
  }
}

async function importFiles(
  file: string | undefined,
  systemId: string,
  opts: ImportCommandOptions,
  audit: SystemRunAudit,
): Promise<void> {
  const nc = await connect(natsConnectOptions(opts.nats, { name: 'akosha-import' }));
  try {
    if (file !== undefined) await importRecords(nc, file, systemId, opts, audit);
    if (opts.graph !== undefined) {
      const reflection = file === undefined ? {} : { reflection: file };
      const files = { knowledgeGraph: opts.graph, ...reflection };
      audit.note('graph', await runGraphImport(nc, files, systemId));
    }
  } finally {
    await nc.close();
  }
}

async function importRecords(
  nc: NatsConnection,
  file: string,
  systemId: string,
  opts: ImportCommandOptions,
  audit: SystemRunAudit,
): Promise<void> {
  const bar = new ProgressBar();
  const skipped: SkippedRow[] = [];
  try {
    const totals = await importSessionBuddy(jetstream(nc), file, {
      systemId,
      maxPayloadBytes: nc.info?.max_payload ?? 1024 * 1024,
      ...(opts.recordsPerUpload === undefined ? {} : { recordsPerUpload: opts.recordsPerUpload }),
      onProgress: (p) => bar.update(p),
      onPublished: (result) => audit.published(result),
      onSkip: (row) => {
        if (skipped.length < SKIPPED_ROWS_SHOWN) skipped.push(row);
      },
    });
    bar.stop();
    for (const row of skipped)
      console.error(`skipped ${row.table} row ${JSON.stringify(row.id)}: ${row.reason}`);
    console.log(JSON.stringify({ file, system_id: systemId, ...totals }));
    audit.note('skipped', totals.skipped);
    audit.note('unchanged', totals.unchanged);
  } finally {
    bar.stop();
  }
}

/** Session-Buddy defaults system_id to the host name, which may hold dots: normalise, and say so. */
function resolveSystemId(given: string | undefined): string {
  const raw = given ?? hostname();
  const systemId = normaliseSystemId(raw);
  if (systemId !== raw)
    console.error(`system_id "${raw}" is not a valid subject token: using "${systemId}"`);
  return systemId;
}

function parsePositiveInt(value: string): number {
  const n = Number(value);
  if (!Number.isInteger(n) || n < 1) throw new Error(`expected a positive integer, got "${value}"`);
  return n;
}

/** Records done / total with rate and ETA; started once the total is known. */
class ProgressBar {
  private readonly bar = new SingleBar(
    {
      format: 'import |{bar}| {value}/{total} records | {rate} rec/s | ETA {eta_formatted}',
      stream: process.stderr,
      hideCursor: true,
      etaBuffer: 50,
    },
    Presets.shades_classic,
  );
  private startedAt = 0;

  update({ done, total }: ImportProgress): void {
    if (this.startedAt === 0) {
      this.startedAt = Date.now();
      this.bar.start(total, done, { rate: '0' });
      return;
    }
    const seconds = Math.max((Date.now() - this.startedAt) / 1000, 0.001);
    this.bar.update(done, { rate: Math.round(done / seconds).toString() });
  }

  /** idempotent: also called when the import fails */
  stop(): void {
    if (this.startedAt === 0) return;
    this.bar.stop();
    this.startedAt = 0;
  }
}
