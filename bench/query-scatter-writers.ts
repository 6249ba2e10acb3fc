/** The two writer processes of bench/query-scatter.ts (each bench/query-scatter-writer.ts). */
import { fork } from 'node:child_process';
import { pin, pinning } from './query-scatter-probe';
import type { DataSetSpec } from './query-data';
import type { WriterJob, WriterSteps } from './query-scatter-writer';

export interface WriterChild {
  pid: number | undefined;
  reset(): void;
  /** stops it; the p50 of each step of its search requests */
  stop(): Promise<WriterSteps>;
}

/** A writer process (bench/query-scatter-writer.ts) serving its half of the data set. */
async function startWriter(job: WriterJob): Promise<WriterChild> {
  const child = fork(require.resolve('./query-scatter-writer'));
  await new Promise<void>((resolve, reject) => {
    child.once('message', () => resolve());
    child.once('exit', (code) => reject(new Error(`writer exited with ${code}`)));
    child.send(job);
  });
  return {
    pid: child.pid,
    reset: () => child.send('reset'),
    stop: () =>
      new Promise((resolve) => {
        child.once('message', (m) => resolve(m as WriterSteps));
        child.send('stop');
      }),
  };
}

export const HALVES = [
  ['g0-7', [0, 1, 2, 3, 4, 5, 6, 7]],
  ['g8-15', [8, 9, 10, 11, 12, 13, 14, 15]],
] as const;
export const echoSubject = (name: string) => `bench.echo.${name}`;

/** The two writer processes, each pinned as BENCH_SCATTER_PIN says. */
export async function startWriters(
  url: string,
  spec: DataSetSpec,
  groupCount: number,
): Promise<WriterChild[]> {
  const pins = pinning();
  const writers: WriterChild[] = [];
  for (const [i, [name, groups]] of HALVES.entries()) {
    const job = {
      url,
      spec: { ...spec, part: { name } },
      groups: [...groups],
      groupCount,
      echoSubject: echoSubject(name),
    };
    const writer = await startWriter(job);
    writers.push(writer);
    if (pins) pin(writer.pid, pins.writers[i]!);
  }
  return writers;
}
