import { spawn } from 'node:child_process';
import { writeFileSync } from 'node:fs';
import { userInfo } from 'node:os';
import { join } from 'node:path';
import { AuditQuery, listAuditEvents } from '../../audit/reader';
import type { UploadMessage } from '../../schemas/upload';
import { STREAM } from '../../streams/definitions';
import { startTestNatsWithStreams, type TestNats } from '../helpers/nats';
import { readStream } from '../helpers/streams';
import { record, upload } from '../helpers/uploads';

function runCli(
  args: string[],
  env: Record<string, string>,
): Promise<{ code: number | null; stdout: string; stderr: string }> {
  const child = spawn(process.execPath, [join(__dirname, '../../bin/akosha-source.js'), ...args], {
    env: { ...process.env, ...env },
  });
  let stdout = '';
  let stderr = '';
  child.stdout.on('data', (d: Buffer) => (stdout += d.toString()));
  child.stderr.on('data', (d: Buffer) => (stderr += d.toString()));
  return new Promise((resolve) => child.once('exit', (code) => resolve({ code, stdout, stderr })));
}

describe('akosha publish', () => {
  let nats: TestNats;
  /** every run's one audit event, on akosha.audit.publish.<system_id> */
  const publishEvents = async () =>
    (await listAuditEvents(nats.js, AuditQuery.parse({ action: 'publish' }))).events;
  beforeAll(async () => {
    nats = await startTestNatsWithStreams();
  });
  afterAll(() => nats.stop());

  it('normalises a hostname system_id, says so, and prints the broker ack', async () => {
    const file = join(nats.dir, 'upload.json');
    writeFileSync(
      file,
      JSON.stringify(upload('dev.box.local', 'cli-1', [record('a', 'from the cli')])),
    );
    const result = await runCli(['publish', file], { AKOSHA_NATS_URL: nats.url });
    expect(result.code).toBe(0);
    expect(result.stderr).toContain('using "dev-box-local"');
    expect(JSON.parse(result.stdout)).toMatchObject({
      upload_id: 'cli-1',
      system_id: 'dev-box-local',
      parts: 1,
      duplicate: false,
    });
    const [stored] = await readStream<UploadMessage>(nats.nc, nats.js, STREAM.uploads);
    expect(stored!.subject).toMatch(/^akosha\.uploads\.\d+\.dev-box-local$/);
    const trail = await readStream(nats.nc, nats.js, STREAM.audit);
    expect(trail.map((m) => m.subject)).toEqual(['akosha.audit.publish.dev-box-local']);
    const [event, ...more] = await publishEvents();
    expect(more).toEqual([]);
    expect(event).toMatchObject({
      principal: `cli:${userInfo().username}`,
      role: 'admin',
      source: 'cli',
      action: 'publish',
      result: 'ok',
      target: { system: 'dev-box-local', ids: ['cli-1'], sequence: [stored!.seq, stored!.seq] },
      detail: { uploads: 1, records: 1, duplicates: 0 },
    });
  });

  it('refuses an invalid upload with exit code 2 and every issue', async () => {
    const file = join(nats.dir, 'bad.json');
    writeFileSync(
      file,
      JSON.stringify({ ...upload('dev-box', '../x', [record('a', '')]), created_at: 'yesterday' }),
    );
    const result = await runCli(['publish', file], { AKOSHA_NATS_URL: nats.url });
    expect(result.code).toBe(2);
    expect(result.stderr).toContain('SCHEMA_INVALID');
    for (const path of ['upload_id', 'created_at', 'records.0.content'])
      expect(result.stderr).toContain(path);
    const refused = (await publishEvents()).at(-1);
    expect(refused).toMatchObject({
      action: 'publish',
      result: 'error',
      target: { system: 'dev-box' },
    });
    expect(refused!.detail).toEqual({ uploads: 0, records: 0, duplicates: 0 });
  });
});
