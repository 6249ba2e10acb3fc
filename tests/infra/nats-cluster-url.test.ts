import { createServer } from 'node:net';
import { loadConfig } from '../../infra/config';
import { createLogger } from '../../infra/logger';
import { connectOrStartNats } from '../../infra/nats';
import { startTestNats, type TestNats } from '../helpers/nats';

/** A loopback port nothing listens on. */
async function deadPort(): Promise<number> {
  const server = createServer();
  await new Promise<void>((resolve) => server.listen(0, '127.0.0.1', resolve));
  const { port } = server.address() as { port: number };
  await new Promise((resolve) => server.close(resolve));
  return port;
}

describe('AKOSHA_NATS_URL naming a cluster', () => {
  let nats: TestNats;
  beforeAll(async () => {
    nats = await startTestNats();
  });
  afterAll(async () => {
    await nats.stop();
  });

  it('connects through whichever listed server answers', async () => {
    const url = `nats://127.0.0.1:${await deadPort()}, ${nats.url}`;
    const config = loadConfig({ AKOSHA_NATS_URL: url, AKOSHA_START_NATS: 'never' });
    const handle = await connectOrStartNats(config.nats, createLogger('silent'));
    try {
      expect(handle.local).toBeUndefined();
      expect(handle.nc.getServer()).toBe(nats.url.replace(/^nats:\/\//, ''));
    } finally {
      await handle.nc.close();
    }
  });
});
