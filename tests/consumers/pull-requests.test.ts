import { spawn, type ChildProcess } from 'node:child_process';
import { mkdtempSync, readdirSync, readFileSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { connect, type Msg, type NatsConnection } from '@nats-io/transport-node';
import { PULL_EXPIRES_MS, PullRequests } from '../../consumers/pull-requests';
import { createLogger } from '../../infra/logger';
import { stopProcess } from '../../infra/nats-server';
import { waitFor } from '../helpers/wait-for';

/**
 * A plain nats-server (no JetStream): the test itself stands where the consumer would be,
 * takes the pull requests and, like a 2.9 server under load, lets them lapse without a word.
 */
describe('pull requests that lapse without an answer', () => {
  let dir: string;
  let server: ChildProcess;
  let nc: NatsConnection;
  const requests: { at: number; reply: string; expiresMs: number }[] = [];

  beforeAll(async () => {
    dir = mkdtempSync(join(tmpdir(), 'akosha-pulls-'));
    server = spawn('nats-server', ['-a', '127.0.0.1', '-p', '-1', '--ports_file_dir', dir], {
      stdio: 'ignore',
    });
    const url = await waitFor(() => portsUrl(dir), { what: 'nats-server listening' });
    nc = await connect({ servers: url! });
    nc.subscribe('$JS.API.CONSUMER.MSG.NEXT.S.work', {
      callback: (_err, msg) => {
        const body = msg.json() as { expires: number };
        requests.push({ at: performance.now(), reply: msg.reply!, expiresMs: body.expires / 1e6 });
      },
    });
    await nc.flush();
  });
  afterAll(async () => {
    await nc.close();
    await stopProcess(server);
    rmSync(dir, { recursive: true, force: true });
  });

  it('are replaced soon after they expire, open ones never expiring together, and what still reaches them is taken', async () => {
    const received: Msg[] = [];
    const pulls: PullRequests = new PullRequests(
      nc,
      { stream: 'S', consumer: 'work' },
      { batch: 10, maxBytes: 1 << 20 },
      (msg) => received.push(msg),
      () => pulls.size < 2 && pulls.issue(),
      createLogger('silent'),
    );
    pulls.issue();
    pulls.issue();
    await waitFor(() => requests.length, { until: (n) => n >= 3, what: 'a replacement request' });
    const [first, second, third] = requests as [
      (typeof requests)[0],
      (typeof requests)[0],
      (typeof requests)[0],
    ];
    expect(first.expiresMs).toBe(PULL_EXPIRES_MS);
    const expiry = (r: typeof first) => r.at + r.expiresMs;
    expect(expiry(second) - expiry(first)).toBeGreaterThan(PULL_EXPIRES_MS / 2 - 100);
    // before, a silent lapse left the consumer without this request for 5 s
    expect(third.at - first.at).toBeLessThan(first.expiresMs + 2000);

    nc.publish(first.reply, 'late', { reply: 'ack.late' });
    await waitFor(() => received.length, { until: (n) => n === 1, what: 'the late message' });
    expect(pulls.size).toBe(2);
    pulls.close();
  });
});

function portsUrl(dir: string): string | undefined {
  const file = readdirSync(dir).find((f) => f.endsWith('.ports'));
  if (!file) return undefined;
  try {
    return (JSON.parse(readFileSync(join(dir, file), 'utf8')) as { nats: string[] }).nats[0];
  } catch {
    return undefined;
  }
}
