import { QdrantClientResourceExhaustedError } from './qdrant-module';

export interface RetryPolicy {
  /** retries after the first attempt */
  maxRetries: number;
  /** exponential backoff when the server gives no Retry-After: base × 2^attempt */
  baseDelayMs: number;
  /** upper bound of any single wait, Retry-After included */
  maxDelayMs: number;
}

export const DEFAULT_RETRY: RetryPolicy = { maxRetries: 5, baseDelayMs: 200, maxDelayMs: 30_000 };

/** `Retry-After` (delta-seconds or an HTTP date) → milliseconds; undefined when unusable. */
export function parseRetryAfter(
  value: string | null | undefined,
  now = Date.now(),
): number | undefined {
  if (value === null || value === undefined) return undefined;
  const v = value.trim();
  // eslint-disable-next-line security/detect-unsafe-regex -- linear: each repeat starts with a literal '.'
  if (/^\d+(\.\d+)?$/.test(v)) return Math.round(Number(v) * 1000);
  const at = Date.parse(v);
  return Number.isNaN(at) ? undefined : Math.max(0, at - now);
}

interface HttpErrorLike {
  status: number;
  headers?: { get(name: string): string | null };
}

const isHttpError = (err: unknown): err is HttpErrorLike =>
  typeof err === 'object' &&
  err !== null &&
  typeof (err as { status?: unknown }).status === 'number';

/**
 * How long to wait before retrying after `err`, or undefined when it must not be retried.
 * Retried: 429 and 503. The client (1.18) turns a 429 with Retry-After into
 * QdrantClientResourceExhaustedError but keeps only the header's first character
 * (`headers.get(...)?.[0]`), so "30" arrives as 3: its value is used as a lower bound next
 * to the exponential backoff. A 429 whose Retry-After is an HTTP date makes the client throw
 * a plain Error "Invalid retryAfter value: …", recognised here by its message. A 503 arrives
 * as the fetcher's ApiError, whose headers are read in full.
 */
export function retryDelayMs(
  err: unknown,
  attempt: number,
  policy: RetryPolicy,
): number | undefined {
  const backoff = Math.min(policy.maxDelayMs, policy.baseDelayMs * 2 ** attempt);
  if (err instanceof QdrantClientResourceExhaustedError) {
    const hinted = Number.isFinite(err.retry_after) ? err.retry_after * 1000 : 0;
    return Math.min(policy.maxDelayMs, Math.max(hinted, backoff));
  }
  if (err instanceof Error && err.message.startsWith('Invalid retryAfter value')) return backoff;
  if (isHttpError(err) && (err.status === 429 || err.status === 503)) {
    const hinted = parseRetryAfter(err.headers?.get('retry-after'));
    return Math.min(policy.maxDelayMs, hinted ?? backoff);
  }
  return undefined;
}

export class RetriesExhaustedError extends Error {
  override name = 'RetriesExhaustedError';
  constructor(
    readonly attempts: number,
    override readonly cause: unknown,
  ) {
    super(`Qdrant still refused after ${attempts} attempts: ${String(cause)}`);
  }
}

/** Runs `fn`, waiting and retrying on 429/503 up to `policy.maxRetries` times. */
export async function withRetry<T>(
  fn: () => Promise<T>,
  policy: RetryPolicy,
  sleep: (ms: number) => Promise<void> = (ms) => new Promise((r) => setTimeout(r, ms)),
): Promise<T> {
  for (let attempt = 0; ; attempt++) {
    try {
      return await fn();
    } catch (err) {
      const delay = retryDelayMs(err, attempt, policy);
      if (delay === undefined) throw err;
      if (attempt >= policy.maxRetries) throw new RetriesExhaustedError(attempt + 1, err);
      await sleep(delay);
    }
  }
}
