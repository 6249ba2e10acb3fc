import { jetstreamManager } from '@nats-io/jetstream';
import type { NatsConnection } from '@nats-io/transport-node';
import { STREAM } from '../streams/definitions';
import type { Cluster, Part } from './cluster';
import type { AckLedger } from './ledger';
import type { FaultProducer } from './producer';

/** How much a run offers: the short size runs in CI, the long one for operators. */
export interface RunSize {
  uploads: number;
  systems: number;
  /** uploads started per second; 0: as fast as the broker acks */
  ratePerSec: number;
  concurrency: number;
  /** stop offering after this long, even if uploads remain (overload) */
  offerForMs?: number;
}

export interface ScenarioContext {
  cluster: Cluster;
  nc: NatsConnection;
  ledger: AckLedger;
  producer: FaultProducer;
  /** prefix of this run's system and upload ids */
  tag: string;
  size: RunSize;
  /** the processes of this scenario's topology */
  parts: Part[];
  /** seeded: the "random moments" of a run are the same when it is repeated */
  random(): number;
  /** resolves when the producer has sent everything, retries beyond the window included */
  loadDone: Promise<void>;
  log(message: string, fields?: Record<string, unknown>): void;
  /** facts the scenario measured (drain time, kills done), reported beside the verdict */
  facts: Record<string, number | string>;
  /** what the scenario itself found wrong (a deadline missed): each fails the run */
  problems: string[];
}

export interface Scenario {
  name: string;
  summary: string;
  topology: 'all' | 'split';
  short: RunSize;
  long: RunSize;
  /** AKOSHA_* settings of every process of the run */
  env?: Record<string, string>;
  /** The fault itself, while the load runs. It returns once every process it stopped runs again. */
  fault(ctx: ScenarioContext): Promise<void>;
}

export const sleep = (ms: number) => new Promise((r) => setTimeout(r, ms));

/** Ingest-complete events so far; undefined while the server does not answer in time. */
export async function eventCount(nc: NatsConnection): Promise<number | undefined> {
  try {
    const jsm = await jetstreamManager(nc, { timeout: 10_000 });
    return (await jsm.streams.info(STREAM.ingested)).state.messages;
  } catch {
    return undefined;
  }
}

/** Waits until `count` more events were announced than at the call, or `timeoutMs` passed. */
export async function waitForEvents(ctx: ScenarioContext, more: number, timeoutMs = 120_000) {
  const from = (await eventCount(ctx.nc)) ?? 0;
  const deadline = Date.now() + timeoutMs;
  while (Date.now() < deadline && ((await eventCount(ctx.nc)) ?? 0) < from + more) await sleep(250);
}

/** A moment in [minMs, maxMs), drawn from the run's seeded source. */
export const between = (ctx: ScenarioContext, minMs: number, maxMs: number) =>
  Math.floor(minMs + ctx.random() * (maxMs - minMs));

/** mulberry32: the same seed gives the same random moments. */
export function seeded(seed: number): () => number {
  let a = seed >>> 0;
  return () => {
    a = (a + 0x6d2b79f5) >>> 0;
    let t = Math.imul(a ^ (a >>> 15), a | 1);
    t ^= t + Math.imul(t ^ (t >>> 7), t | 61);
    return ((t ^ (t >>> 14)) >>> 0) / 4294967296;
  };
}
