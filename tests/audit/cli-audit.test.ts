import { mkdtempSync, rmSync } from 'node:fs';
import { tmpdir, userInfo } from 'node:os';
import { join } from 'node:path';
import { AuditQuery, listAuditEvents, type StoredAuditEvent } from '../../audit/reader';
import { startTestNatsWithStreams, type TestNats } from '../helpers/nats';
import { runAkosha } from '../helpers/processes';

const lines = (stdout: string): StoredAuditEvent[] =>
  stdout
    .split('\n')
    .filter((l) => l.startsWith('{'))
    .map((l) => JSON.parse(l) as StoredAuditEvent);

describe('CLI actions in the audit trail, and `akosha audit list`', () => {
  let nats: TestNats;
  let dir: string;
  let env: Record<string, string>;
  const me = `cli:${userInfo().username}`;

  beforeAll(async () => {
    nats = await startTestNatsWithStreams();
    dir = mkdtempSync(join(tmpdir(), 'akosha-cli-audit-'));
    env = {
      AKOSHA_NATS_URL: nats.url,
      AKOSHA_DATA_DIR: dir,
      AKOSHA_AUTH_TOKENS_FILE: join(dir, 'tokens.json'),
      AKOSHA_LOG_LEVEL: 'silent',
    };
  });
  afterAll(async () => {
    await nats?.stop();
    rmSync(dir, { recursive: true, force: true });
  });

  it('records token create, a failed requeue and a purge as the OS user, and lists them', async () => {
    const created = await runAkosha(
      ['token', 'create', '--name', 'ci-bot', '--role', 'writer', '--system', 'host-a'],
      env,
    );
    expect(created.code).toBe(0);
    const token = created.stdout.trim().split('\n').at(-1)!;
    expect(token).toMatch(/^akosha_/);
    expect((await runAkosha(['dlq', 'requeue', '999'], env)).code).not.toBe(0);
    expect((await runAkosha(['dlq', 'purge', '--all'], env)).code).toBe(0);

    const all = await runAkosha(['audit', 'list', '--since', '10m'], env);
    expect(all.code).toBe(0);
    const events = lines(all.stdout);
    expect(events.map((e) => [e.action, e.result])).toEqual([
      ['token.create', 'ok'],
      ['dlq.requeue', 'error'],
      ['dlq.purge', 'ok'],
    ]);
    for (const e of events)
      expect(e).toMatchObject({ principal: me, role: 'admin', source: 'cli' });
    expect(events[0]!.detail).toEqual({ name: 'ci-bot', role: 'writer', systems: ['host-a'] });
    expect(events[1]!.target).toEqual({ sequence: [999] });
    // the token itself is nowhere in the trail
    expect(all.stdout).not.toContain(token);
  });

  it('filters by action prefix, principal and time, and refuses bad filters', async () => {
    const dlq = lines((await runAkosha(['audit', 'list', '--action', 'dlq'], env)).stdout);
    expect(dlq.map((e) => e.action)).toEqual(['dlq.requeue', 'dlq.purge']);
    const nobody = await runAkosha(['audit', 'list', '--principal', 'someone-else'], env);
    expect(lines(nobody.stdout)).toEqual([]);
    const later = new Date(Date.now() + 60_000).toISOString();
    expect(lines((await runAkosha(['audit', 'list', '--since', later], env)).stdout)).toEqual([]);
    const one = await runAkosha(['audit', 'list', '--limit', '1'], env);
    expect(lines(one.stdout)).toHaveLength(1);
    expect(one.stderr).toContain('more events');
    const bad = await runAkosha(['audit', 'list', '--since', 'soon'], env);
    expect(bad.code).toBe(1);
    expect(bad.stderr).toContain('--since');
  });

  it('records operator and admin reads: dlq list and show, verify, token list, audit list', async () => {
    const since = new Date().toISOString();
    expect((await runAkosha(['dlq', 'list', '--stage', 'embed'], env)).code).toBe(0);
    expect((await runAkosha(['dlq', 'show', '999'], env)).code).not.toBe(0);
    expect((await runAkosha(['verify', '--shard', '3'], env)).code).toBe(0);
    expect((await runAkosha(['token', 'list'], env)).code).toBe(0);
    expect((await runAkosha(['audit', 'list', '--since', since], env)).code).toBe(0);

    // read in process: one CLI process less on a loaded machine
    const { events } = await listAuditEvents(nats.js, AuditQuery.parse({ since }));
    expect(events.map((e) => [e.action, e.result])).toEqual([
      ['dlq.list', 'ok'],
      ['dlq.show', 'error'],
      ['verify', 'ok'],
      ['token.list', 'ok'],
      ['audit.list', 'ok'],
    ]);
    for (const e of events)
      expect(e).toMatchObject({ principal: me, role: 'admin', source: 'cli' });
    expect(events[0]!.detail).toMatchObject({ filter: { stage: 'embed' } });
    expect(events[1]!.target).toEqual({ sequence: 999 });
    expect(events[2]!.detail).toEqual({ shard: 3 });
  }, 120_000);
});
