import { join } from 'node:path';
import { MahavishnuBridge } from '../../bridge/mahavishnu-bridge';
import { MahavishnuClient } from '../../bridge/mahavishnu-client';
import { MahavishnuError } from '../../bridge/mahavishnu-error';
import { loadConfig } from '../../infra/config';
import { makeTestCa, type TestCa } from '../helpers/tls';
import { FakeMahavishnu } from './fake-mahavishnu';

const TOKEN = 'mahavishnu-test-token-93c2';

async function failureOf(promise: Promise<unknown>): Promise<MahavishnuError> {
  try {
    await promise;
  } catch (err) {
    expect(err).toBeInstanceOf(MahavishnuError);
    return err as MahavishnuError;
  }
  throw new Error('expected a failure');
}

describe('Mahavishnu over https with a bearer token and a private CA', () => {
  let ca: TestCa;
  let fake: FakeMahavishnu;
  beforeAll(async () => {
    ca = makeTestCa();
    fake = await new FakeMahavishnu().start({ tls: ca.server('mahavishnu'), token: TOKEN });
  });
  afterAll(() => fake.stop());
  beforeEach(() => {
    fake.behaviour = 'ok';
    fake.requireSession = false;
    fake.unauthorized = 0;
    fake.calls.length = 0;
  });

  const client = (opts: { token?: string; caFile?: string; timeoutMs?: number } = {}) =>
    new MahavishnuClient({ url: fake.url, timeoutMs: 2000, ...opts });

  it('calls tools with the token, trusting the configured CA', async () => {
    expect(fake.url).toMatch(/^https:\/\//);
    const trusted = client({ token: TOKEN, caFile: ca.cert });
    expect(await trusted.getHealth()).toMatchObject({ status: 'healthy' });
    expect(fake.calls.map((c) => c.tool)).toEqual(['get_health']);
    expect(fake.unauthorized).toBe(0);
  });

  it('opens an MCP session over https (server-sent events, session header)', async () => {
    fake.requireSession = true;
    const trusted = client({ token: TOKEN, caFile: ca.cert });
    const started = await trusted.triggerWorkflow({ adapter: 'prefect', task_type: 'akosha_x' });
    expect(started).toMatchObject({ workflow_id: 'wf_trigger_workflow_1', status: 'queued' });
    expect(fake.initializeCount).toBeGreaterThan(0);
  });

  it('is rejected without the right token, and the error does not show the token', async () => {
    const failure = await failureOf(client({ token: 'wrong-token', caFile: ca.cert }).getHealth());
    expect(failure.code).toBe('MAHAVISHNU_REJECTED');
    expect(failure.message).toMatch(/HTTP 401/);
    expect(failure.message).not.toContain('wrong-token');
    expect((await failureOf(client({ caFile: ca.cert }).getHealth())).code).toBe(
      'MAHAVISHNU_REJECTED',
    );
    expect(fake.unauthorized).toBe(2);
  });

  it('reports a certificate it cannot verify, naming the CA setting', async () => {
    const failure = await failureOf(client({ token: TOKEN }).getHealth());
    expect(failure.code).toBe('MAHAVISHNU_UNREACHABLE');
    expect(failure.message).toMatch(/server certificate not trusted \([A-Z_]+\)/);
    expect(failure.message).toContain('AKOSHA_MAHAVISHNU_CA');
    expect(fake.calls).toHaveLength(0);

    const otherCa = makeTestCa();
    const stranger = await failureOf(client({ token: TOKEN, caFile: otherCa.cert }).getHealth());
    expect(stranger.message).toMatch(/AKOSHA_MAHAVISHNU_CA/);
  });

  it('times out a slow call over https', async () => {
    fake.behaviour = 'slow';
    fake.delayMs = 2000;
    const slow = client({ token: TOKEN, caFile: ca.cert, timeoutMs: 200 });
    expect((await failureOf(slow.getHealth())).code).toBe('MAHAVISHNU_TIMEOUT');
  });

  it('fails at once on a CA file it cannot read', () => {
    expect(() => client({ caFile: join(ca.dir, 'absent-ca.pem') })).toThrow(
      /AKOSHA_MAHAVISHNU_CA: cannot read .*absent-ca\.pem \(ENOENT\)/,
    );
  });

  it('the bridge takes the token and CA from the settings', async () => {
    const { bridge } = loadConfig({
      AKOSHA_MAHAVISHNU_URL: fake.url,
      AKOSHA_MAHAVISHNU_TOKEN: TOKEN,
      AKOSHA_MAHAVISHNU_CA: ca.cert,
    });
    const scheduler = new MahavishnuBridge({
      mahavishnuUrl: bridge.mahavishnuUrl,
      callTimeoutMs: bridge.callTimeoutMs,
      token: bridge.token,
      caFile: bridge.caFile,
    });
    expect(await scheduler.client!.getHealth()).toMatchObject({ status: 'healthy' });
    expect(fake.unauthorized).toBe(0);
  });
});
