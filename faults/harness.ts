import { mkdtempSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { jetstream } from '@nats-io/jetstream';
import { connect, type NatsConnection } from '@nats-io/transport-node';
import type { DeadLetter } from '../schemas/dead-letter';
import type { IngestedEvent } from '../schemas/ingested';
import { STREAM } from '../streams/definitions';
import { ageEverything } from './aging';
import { check, type Verdict } from './checker';
import { Cluster, type Part } from './cluster';
import { AckLedger } from './ledger';
import { readStream, waitQuiet, watchMaxDeliveries } from './observe';
import { FaultProducer } from './producer';
import { seeded, type RunSize, type Scenario, type ScenarioContext } from './scenario';
import { readStoredKeys } from './stored-keys';
import { planUpload } from './workload';

/** Settings every run shares: a short duplicate window, so that retries can land beyond it. */
export const RUN_SETTINGS = {
  duplicateWindowMs: 4000,
  maxMessageBytes: 64 * 1024,
  ackWaitMs: 5000,
};
/** how long the backlog may take to clear after the heal: long runs offer far more */
const QUIET_TIMEOUT_MS = { short: 180_000, long: 900_000 };

export interface RunOptions {
  long?: boolean;
  seed?: number;
  /** keep the run directory (logs, data) even when the run passes */
  keep?: boolean;
  /** the checkout whose CLI runs (from source); default this one */
  root?: string;
  log?: (line: string) => void;
}

export interface RunResult {
  verdict: Verdict;
  facts: Record<string, number | string>;
  dir: string;
  durationMs: number;
}

const partsOf = (s: Scenario): Part[] => (s.topology === 'all' ? ['all'] : ['ingest', 'writer']);

/**
 * One run of a scenario: start the topology, offer the workload while the fault happens,
 * heal and restart everything cleanly, wait until no consumer has work left, age every
 * tier, stop cleanly, then check what the broker acked against the files and streams.
 */
export async function runScenario(scenario: Scenario, opts: RunOptions = {}): Promise<RunResult> {
  const t0 = Date.now();
  const dir = mkdtempSync(join(tmpdir(), `akosha-fault-${scenario.name}-`));
  const size = opts.long ? scenario.long : scenario.short;
  const log = opts.log ?? (() => undefined);
  const cluster = await Cluster.create({
    dir,
    ...RUN_SETTINGS,
    env: scenario.env ?? {},
    ...(opts.root && { root: opts.root }),
  });
  let nc: NatsConnection | undefined;
  let clean = false;
  try {
    const parts = partsOf(scenario);
    await Promise.all(parts.map((p) => cluster.startAndWait(p)));
    nc = await connect({
      servers: cluster.natsUrl,
      maxReconnectAttempts: -1,
      reconnectTimeWait: 250,
    });
    const ctx = context(scenario, cluster, nc, size, parts, opts, log);
    const verdict = await offerFaultAndCheck(scenario, ctx);
    writeFileSync(
      join(dir, 'verdict.json'),
      JSON.stringify({ verdict, facts: ctx.facts }, null, 2),
    );
    clean = verdict.ok && !opts.keep;
    return { verdict, facts: ctx.facts, dir, durationMs: Date.now() - t0 };
  } finally {
    await nc?.close().catch(() => undefined);
    await cluster.stopAll().catch(() => undefined);
    if (clean) rmSync(dir, { recursive: true, force: true });
  }
}

function context(
  scenario: Scenario,
  cluster: Cluster,
  nc: NatsConnection,
  size: RunSize,
  parts: Part[],
  opts: RunOptions,
  log: (line: string) => void,
): ScenarioContext {
  const ledger = new AckLedger();
  const producer = new FaultProducer(jetstream(nc, { timeout: 10_000 }), ledger, {
    concurrency: size.concurrency,
    ratePerSec: size.ratePerSec,
    giveUpAfterMs: 60_000,
    duplicateWindowMs: RUN_SETTINGS.duplicateWindowMs,
  });
  const tag = scenario.name.replace(/[^a-z0-9]/g, '');
  return {
    cluster,
    nc,
    ledger,
    size,
    parts,
    producer,
    tag,
    random: seeded(opts.seed ?? 1),
    loadDone: Promise.resolve(),
    facts: {},
    problems: [],
    log: (message, fields) =>
      log(`[${scenario.name}] ${message}${fields ? ` ${JSON.stringify(fields)}` : ''}`),
  };
}

async function offerFaultAndCheck(scenario: Scenario, ctx: ScenarioContext): Promise<Verdict> {
  const { cluster, nc, producer, size } = ctx;
  const maxDelivered = watchMaxDeliveries(nc);
  await producer.publishInvalid(ctx.tag);
  const spec = { ...size, maxMessageBytes: RUN_SETTINGS.maxMessageBytes, tag: ctx.tag };
  const nowMs = Date.now();
  const offerUntil = size.offerForMs ? nowMs + size.offerForMs : Infinity;
  ctx.loadDone = producer
    .run(
      size.uploads,
      (u) => planUpload(spec, u, nowMs),
      () => Date.now() > offerUntil,
    )
    .then(() => producer.retryBeyondWindow());
  const fault = scenario.fault(ctx);
  await Promise.all([ctx.loadDone, fault]);
  ctx.log('load and fault done; restarting everything cleanly', { acked: ctx.ledger.ackedUploads });
  await heal(ctx);
  const quiet = await waitQuiet(
    nc,
    QUIET_TIMEOUT_MS[ctx.size === scenario.long ? 'long' : 'short'],
  );
  ctx.log('quiet', { ...quiet });
  if (quiet.embeddedAckedLeft) ctx.facts.embeddedAckedLeft = quiet.embeddedAckedLeft;
  if (quiet.phantomAckPending.length) ctx.facts.phantomAckPending = quiet.phantomAckPending.length;
  if (!(await ageEverything(ctx))) ctx.problems.push('the aging passes did not end in time');
  const events = (await readStream<IngestedEvent>(nc, STREAM.ingested)).map((m) => m.data);
  const letters = (await readStream<DeadLetter>(nc, STREAM.deadLetters)).map((m) => m.data);
  await Promise.all(ctx.parts.map((p) => cluster.kill(p, 'SIGTERM')));
  const stored = await readStoredKeys(cluster.dataDir);
  ctx.facts.hot = stored.perTier.hot;
  ctx.facts.warm = stored.perTier.warm;
  ctx.facts.cold = stored.perTier.cold;
  const verdict = check(scenario.name, ctx.ledger.expectation(), {
    stored,
    events,
    letters,
    quiet,
    maxDelivered,
  });
  if (ctx.problems.length === 0) return verdict;
  return { ...verdict, ok: false, examples: [...verdict.examples, ...ctx.problems] };
}

/** Every process of the topology is stopped (SIGTERM) and started again, nats-server first. */
async function heal(ctx: ScenarioContext): Promise<void> {
  const { cluster } = ctx;
  if (!cluster.natsRunning) await cluster.startNats();
  await Promise.all([...cluster.procs.keys()].map((p) => cluster.kill(p, 'SIGTERM')));
  await Promise.all(ctx.parts.map((p) => cluster.startAndWait(p)));
}
