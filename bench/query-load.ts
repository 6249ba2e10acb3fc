/**
 * The HTTP load generator of bench/query.ts, run as a child process (fork) so that autocannon's
 * own work does not run on the server's event loop. Receives one LoadJob, answers a LoadResult.
 */
import autocannon from 'autocannon';

export interface LoadJob {
  url: string;
  connections: number;
  durationS: number;
  /** JSON bodies for POST /api/v1/search; each connection cycles through them */
  bodies: string[];
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

export async function runLoad(job: LoadJob): Promise<LoadResult> {
  const r = await autocannon({
    url: job.url,
    connections: job.connections,
    duration: job.durationS,
    requests: job.bodies.map((body) => ({
      method: 'POST' as const,
      path: '/api/v1/search',
      headers: { 'content-type': 'application/json' },
      body,
    })),
    verifyBody: (body) => String(body).includes('"partial":false'),
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
