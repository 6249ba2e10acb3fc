/**
 * The HTTP load generator of bench/query.ts, run as a child process (fork) so that autocannon's
 * own work does not run on the server's event loop. Receives one LoadJob, answers a LoadResult.
 */
import autocannon from 'autocannon';

export interface LoadJob {
  url: string;
  connections: number;
  durationS: number;
  /** JSON bodies POSTed to `path`, each connection cycling through them; none: GET `path` */
  bodies: string[];
  /** default `/api/v1/search` */
  path?: string;
  /** sent with every request (an Authorization header) */
  headers?: Record<string, string>;
  /**
   * the body to start with: a run continues the rotation where the last one stopped, so that
   * a cache smaller than the bodies never sees a body again while it still holds it
   */
  startAt?: number;
  /** a 2xx answer without this text counts as a mismatch (`"partial":false` for searches) */
  expect?: string;
}

export interface LoadResult {
  durationS: number;
  ok: number;
  perSecond: number;
  p50: number;
  p99: number;
  errors: number;
  timeouts: number;
  non2xx: number;
  /** 2xx answers that were partial (a part of the fan-out failed or timed out) */
  mismatches: number;
}

function requestsOf(job: LoadJob) {
  const path = job.path ?? '/api/v1/search';
  const headers = job.headers ?? {};
  if (job.bodies.length === 0) return [{ method: 'GET' as const, path, headers }];
  const start = (job.startAt ?? 0) % job.bodies.length;
  const rotated = [...job.bodies.slice(start), ...job.bodies.slice(0, start)];
  return rotated.map((body) => ({
    method: 'POST' as const,
    path,
    headers: { ...headers, 'content-type': 'application/json' },
    body,
  }));
}

export async function runLoad(job: LoadJob): Promise<LoadResult> {
  const r = await autocannon({
    url: job.url,
    connections: job.connections,
    duration: job.durationS,
    requests: requestsOf(job),
    ...(job.expect !== undefined && {
      verifyBody: (body: unknown) => String(body).includes(job.expect!),
    }),
  });
  return {
    durationS: r.duration,
    ok: r['2xx'],
    perSecond: r['2xx'] / r.duration,
    p50: r.latency.p50,
    p99: r.latency.p99,
    errors: r.errors,
    timeouts: r.timeouts,
    non2xx: r.non2xx,
    mismatches: r.mismatches,
  };
}

if (require.main === module) {
  process.once('message', (job: LoadJob) => {
    runLoad(job).then(
      (result) => process.send!(result, () => process.exit(0)),
      (err: unknown) => {
        console.error(err);
        process.exit(1);
      },
    );
  });
}
