import { killTwice } from '../kills';
import type { RunSize, Scenario } from '../scenario';

const SHORT: RunSize = { uploads: 160, systems: 12, ratePerSec: 25, concurrency: 8 };
const LONG: RunSize = { uploads: 2000, systems: 40, ratePerSec: 40, concurrency: 16 };

/** SIGKILL of the all-in-one process at random moments, restarted inside and past the window. */
export const killAllInOne: Scenario = {
  name: 'kill-all-in-one',
  summary: 'SIGKILL of the all-in-one process, twice, restarted within and after the window',
  topology: 'all',
  short: SHORT,
  long: LONG,
  fault: (ctx) => killTwice(ctx, 'all'),
};

/** SIGKILL of the embed stage alone, while the writer keeps running. */
export const killIngest: Scenario = {
  name: 'kill-ingest',
  summary: 'SIGKILL of the ingest (embed) process, twice, restarted within and after the window',
  topology: 'split',
  short: SHORT,
  long: LONG,
  fault: (ctx) => killTwice(ctx, 'ingest'),
};

/** SIGKILL of the shard writer alone, while the embed stage keeps handing off. */
export const killWriter: Scenario = {
  name: 'kill-writer',
  summary: 'SIGKILL of the writer process, twice, restarted within and after the window',
  topology: 'split',
  short: SHORT,
  long: LONG,
  fault: (ctx) => killTwice(ctx, 'writer'),
};

/** The control: the same load and checks, no fault. */
export const noFault: Scenario = {
  name: 'no-fault',
  summary: 'no fault: the checker must pass the plain pipeline',
  topology: 'split',
  short: { ...SHORT, uploads: 80 },
  long: LONG,
  fault: async () => undefined,
};
