/** Polls a condition until it holds; fails with the last observed value after the timeout. */
export async function waitFor<T>(
  probe: () => T | Promise<T>,
  opts: {
    timeoutMs?: number;
    intervalMs?: number;
    until?: (value: T) => boolean;
    what?: string;
  } = {},
): Promise<T> {
  const { timeoutMs = 20_000, intervalMs = 50, until = (v: T) => Boolean(v) } = opts;
  const deadline = Date.now() + timeoutMs;
  let last: T | undefined;
  while (Date.now() < deadline) {
    last = await probe();
    if (until(last)) return last;
    await new Promise((r) => setTimeout(r, intervalMs));
  }
  throw new Error(
    `timed out after ${timeoutMs} ms waiting for ${opts.what ?? 'condition'}; last value: ${JSON.stringify(last)}`,
  );
}
