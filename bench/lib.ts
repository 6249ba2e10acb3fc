import { mkdtempSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';

export function percentile(sorted: number[], p: number): number {
  if (sorted.length === 0) return NaN;
  return sorted[Math.min(sorted.length - 1, Math.floor((p / 100) * sorted.length))]!;
}

export function tempDir(prefix: string): string {
  return mkdtempSync(join(tmpdir(), `akosha-bench-${prefix}-`));
}

/** Words that make a realistic ~2 KB memory text. */
const WORDS =
  'stream consumer shard writer duckdb vector index embed upload replay dead letter ack backoff latency throughput session memory reflection project query cache tier parquet checksum'.split(
    ' ',
  );

export function textOfBytes(seed: number, bytes: number): string {
  const out: string[] = [`memory ${seed}:`];
  let size = out[0]!.length;
  for (let i = 0; size < bytes; i++) {
    const word = WORDS[(seed * 7 + i * 13) % WORDS.length]!;
    out.push(word);
    size += word.length + 1;
  }
  return out.join(' ').slice(0, bytes);
}

export const fmt = (n: number, digits = 0) =>
  n.toLocaleString('en-US', { maximumFractionDigits: digits, minimumFractionDigits: digits });

export function sleep(ms: number): Promise<void> {
  return new Promise((r) => setTimeout(r, ms));
}

/** A non-negative integer setting of a benchmark from the environment. */
export function envInt(name: string, dflt: number): number {
  const v = process.env[name];
  const n = v === undefined || v === '' ? dflt : Number(v);
  if (!Number.isInteger(n) || n < 0) throw new Error(`${name} must be a non-negative integer`);
  return n;
}

/** The longest the event loop went without running a 1 ms timer, until stop(). */
export function loopHeld(): { stop: () => number } {
  let last = performance.now();
  let longest = 0;
  const tick = setInterval(() => {
    const now = performance.now();
    longest = Math.max(longest, now - last);
    last = now;
  }, 1);
  return {
    stop: () => {
      clearInterval(tick);
      return Math.max(longest, performance.now() - last);
    },
  };
}

/** Runs `search` one at a time until `done` settles: each one's latency, ms. */
export async function searchWhile(
  search: () => Promise<unknown>,
  done: Promise<unknown>,
): Promise<number[]> {
  let finished = false;
  void done.then(() => (finished = true));
  const latencies: number[] = [];
  while (!finished) {
    const started = performance.now();
    await search();
    latencies.push(performance.now() - started);
  }
  return latencies;
}
