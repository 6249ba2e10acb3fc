import { mkdtempSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { jetstream, type JetStreamClient } from '@nats-io/jetstream';
import { connect, type NatsConnection } from '@nats-io/transport-node';
import { loadConfig } from '../../infra/config';
import { startNatsServer, type LocalNatsServer } from '../../infra/nats-server';
import { applyTopology } from '../../streams/apply';

export interface TestNats {
  server: LocalNatsServer;
  nc: NatsConnection;
  js: JetStreamClient;
  url: string;
  dir: string;
  stop(): Promise<void>;
}

/** A real nats-server with JetStream on an ephemeral port and a temp store, one per test file. */
export async function startTestNats(): Promise<TestNats> {
  const dir = mkdtempSync(join(tmpdir(), 'akosha-test-'));
  const server = await startNatsServer({ storeDir: join(dir, 'nats') });
  let stopping = false;
  reportUnexpectedExit(server, () => stopping);
  const nc = await connect({ servers: server.url });
  return {
    server,
    nc,
    js: jetstream(nc),
    url: server.url,
    dir,
    async stop() {
      stopping = true;
      await nc.close();
      await server.stop();
      rmSync(dir, { recursive: true, force: true });
    },
  };
}

/**
 * A test's server that dies under it shows up later as timeouts and closed connections:
 * say so when it happens, with what the server last wrote.
 */
function reportUnexpectedExit(server: LocalNatsServer, stopping: () => boolean): void {
  server.process.once('exit', (code, signal) => {
    if (stopping()) return;
    process.stderr.write(
      `test nats-server ${server.url} exited (code ${code}, signal ${signal}): ${server.stderr()}\n`,
    );
  });
}

/** A test server with Akosha's streams and consumers already applied. */
export async function startTestNatsWithStreams(): Promise<TestNats> {
  const nats = await startTestNats();
  await applyTopology(nats.nc, loadConfig({}).streams);
  return nats;
}
