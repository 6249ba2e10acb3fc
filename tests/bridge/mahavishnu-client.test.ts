import { createServer } from 'node:net';
import type { AddressInfo } from 'node:net';
import { MahavishnuClient } from '../../bridge/mahavishnu-client';
import { MahavishnuError } from '../../bridge/mahavishnu-error';
import { FakeMahavishnu } from './fake-mahavishnu';

/** A port on 127.0.0.1 where nothing listens. */
async function closedPort(): Promise<number> {
  const server = createServer();
  await new Promise<void>((resolve) => server.listen(0, '127.0.0.1', resolve));
  const { port } = server.address() as AddressInfo;
  await new Promise<void>((resolve) => server.close(() => resolve()));
  return port;
}

async function codeOf(promise: Promise<unknown>): Promise<string> {
  try {
    await promise;
  } catch (err) {
    expect(err).toBeInstanceOf(MahavishnuError);
    return (err as MahavishnuError).code;
  }
  throw new Error('expected a failure');
}

describe('MahavishnuClient', () => {
  let fake: FakeMahavishnu;
  let client: MahavishnuClient;
  beforeAll(async () => {
    fake = await new FakeMahavishnu().start();
    // generous: a busy machine must not turn a good call into a timeout
    client = new MahavishnuClient({ url: fake.url, timeoutMs: 1000 });
  });
  afterAll(() => fake.stop());
  beforeEach(() => {
    fake.behaviour = 'ok';
    fake.requireSession = false;
    fake.calls.length = 0;
  });

  it('defaults to Mahavishnu on 127.0.0.1:8680 and posts to <url>/mcp', () => {
    expect(new MahavishnuClient().endpoint).toBe('http://127.0.0.1:8680/mcp');
    expect(new MahavishnuClient({ url: 'http://127.0.0.1:8680/mcp/' }).endpoint).toBe(
      'http://127.0.0.1:8680/mcp',
    );
  });

  it('sends a JSON-RPC tools/call and unwraps the tool dict', async () => {
    const result = await client.triggerWorkflow({
      adapter: 'prefect',
      task_type: 'akosha_tier_transition',
      params: { window: 7 },
    });
    expect(result).toMatchObject({ workflow_id: 'wf_trigger_workflow_1', status: 'queued' });
    expect(fake.calls).toEqual([
      {
        path: '/mcp',
        method: 'tools/call',
        tool: 'trigger_workflow',
        arguments: {
          adapter: 'prefect',
          task_type: 'akosha_tier_transition',
          params: { window: 7 },
        },
        id: expect.any(String),
      },
    ]);
  });

  it('reads a reply sent as a server-sent event', async () => {
    fake.behaviour = 'sse';
    expect(await client.getHealth()).toMatchObject({ status: 'healthy' });
  });

  it('codes HTTP >= 500, JSON-RPC errors and failed tools as failures', async () => {
    fake.behaviour = 'fail';
    expect(await codeOf(client.getHealth())).toBe('MAHAVISHNU_HTTP_ERROR');
    fake.behaviour = 'rpc_error';
    expect(await codeOf(client.callTool('nope'))).toBe('MAHAVISHNU_RPC_ERROR');
    fake.behaviour = 'tool_failed';
    expect(await codeOf(client.triggerWorkflow({ adapter: 'prefect', task_type: 'x' }))).toBe(
      'MAHAVISHNU_TOOL_FAILED',
    );
  });

  it('opens an MCP session when the server requires one, and again when it expires', async () => {
    fake.requireSession = true;
    const sessionClient = new MahavishnuClient({ url: fake.url, timeoutMs: 2000 });
    expect(await sessionClient.getHealth()).toMatchObject({ status: 'healthy' });
    expect(await sessionClient.getHealth()).toMatchObject({ status: 'healthy' });
    expect(fake.initializeCount).toBe(1);
    fake.sessions.clear(); // server restarted: the session is unknown (404)
    expect(await sessionClient.getHealth()).toMatchObject({ status: 'healthy' });
    expect(fake.initializeCount).toBe(2);
    expect(fake.calls.map((c) => c.tool)).toEqual(['get_health', 'get_health', 'get_health']);
  });

  it('aborts a call slower than the timeout', async () => {
    fake.behaviour = 'slow';
    fake.delayMs = 6000;
    const started = Date.now();
    expect(await codeOf(client.getHealth())).toBe('MAHAVISHNU_TIMEOUT');
    expect(Date.now() - started).toBeLessThan(4000);
  });

  it('codes a refused connection as unreachable', async () => {
    const port = await closedPort();
    const down = new MahavishnuClient({ url: `http://127.0.0.1:${port}`, timeoutMs: 1000 });
    expect(await codeOf(down.getHealth())).toBe('MAHAVISHNU_UNREACHABLE');
  });
});
