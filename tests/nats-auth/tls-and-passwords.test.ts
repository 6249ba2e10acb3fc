import { rmSync } from 'node:fs';
import { jetstream } from '@nats-io/jetstream';
import { connect, type ConnectionOptions } from '@nats-io/transport-node';
import { loadConfig } from '../../infra/config';
import { createLogger } from '../../infra/logger';
import { connectOrStartNats } from '../../infra/nats';
import { natsConnectOptions, type NatsClientSettings } from '../../infra/nats-options';
import { publishUpload } from '../../producers/publish-upload';
import { applyTopology } from '../../streams/apply';
import { makeTestCa, type TestCa } from '../helpers/tls';
import { record, upload } from '../helpers/uploads';
import { startConfServer, type ConfServer } from './conf-server';

const NO_AUTH = { creds: '', user: '', password: '' };
const NO_TLS = { ca: '', cert: '', key: '' };
/** the server's alert, or the reset that can overtake it */
const TLS_REFUSED = /bad certificate|certificate required|unknown ca|ECONNRESET|EPIPE/;

/** Connects, round-trips, closes: the connection really works, not only its handshake. */
async function roundTrip(opts: ConnectionOptions): Promise<void> {
  const nc = await connect({ ...opts, reconnect: false });
  try {
    await nc.flush();
  } finally {
    await nc.close();
  }
}

describe('NATS over TLS', () => {
  let ca: TestCa;
  let server: ConfServer;
  let mutual: ConfServer;
  const settings = (tls: NatsClientSettings['tls'], url = server.url) => ({
    url,
    auth: NO_AUTH,
    tls,
  });

  beforeAll(async () => {
    ca = makeTestCa();
    const cert = ca.server();
    const tlsBlock = (verify: boolean) =>
      `tls { cert_file: "${cert.cert}", key_file: "${cert.key}", ca_file: "${ca.cert}", verify: ${verify} }`;
    server = await startConfServer(tlsBlock(false));
    mutual = await startConfServer(tlsBlock(true));
  });
  afterAll(async () => {
    await server?.stop();
    await mutual?.stop();
    if (ca) rmSync(ca.dir, { recursive: true, force: true });
  });

  it('an Akosha client with AKOSHA_NATS_TLS_CA applies the streams and publishes', async () => {
    const nc = await connect(natsConnectOptions(settings({ ...NO_TLS, ca: ca.cert })));
    try {
      await applyTopology(nc, loadConfig({}).streams);
      const ack = await publishUpload(
        jetstream(nc),
        upload('tls-host', 'tls-1', [record('r1', 'over tls')]),
        { maxPayloadBytes: 1 << 20 },
      );
      expect(ack).toMatchObject({ upload_id: 'tls-1' });
    } finally {
      await nc.close();
    }
  });

  it('refuses a client that does not trust the CA', async () => {
    await expect(roundTrip(natsConnectOptions(settings(NO_TLS)))).rejects.toThrow(/certificate/i);
  });

  it('mutual TLS: a client certificate from the CA is accepted', async () => {
    const client = ca.client('akosha');
    const tls = { ca: ca.cert, cert: client.cert, key: client.key };
    await expect(roundTrip(natsConnectOptions(settings(tls, mutual.url)))).resolves.toBe(undefined);
  });

  it('mutual TLS: a client without a certificate is refused', async () => {
    await expect(
      roundTrip(natsConnectOptions(settings({ ...NO_TLS, ca: ca.cert }, mutual.url))),
    ).rejects.toThrow(TLS_REFUSED);
  });

  it('mutual TLS: a certificate from another CA is refused', async () => {
    const other = makeTestCa();
    try {
      const stranger = other.client('akosha');
      const tls = { ca: ca.cert, cert: stranger.cert, key: stranger.key };
      await expect(roundTrip(natsConnectOptions(settings(tls, mutual.url)))).rejects.toThrow(
        TLS_REFUSED,
      );
    } finally {
      rmSync(other.dir, { recursive: true, force: true });
    }
  });
});

describe('NATS user and password', () => {
  let server: ConfServer;
  const password = 'pw-Hq3v9Lr2';
  const withUser = (user: string, pass: string) =>
    natsConnectOptions({ url: server.url, auth: { creds: '', user, password: pass } });

  beforeAll(async () => {
    server = await startConfServer(
      `authorization { users = [ { user: "akosha", password: "${password}" } ] }`,
    );
  });
  afterAll(() => server?.stop());

  it('accepts AKOSHA_NATS_USER / AKOSHA_NATS_PASSWORD', async () => {
    await expect(roundTrip(withUser('akosha', password))).resolves.toBe(undefined);
  });

  it('start: the configured password connects; a refused one starts no server of its own', async () => {
    const nats = (password: string) =>
      loadConfig({
        AKOSHA_NATS_URL: server.url,
        AKOSHA_START_NATS: 'auto',
        AKOSHA_NATS_USER: 'akosha',
        AKOSHA_NATS_PASSWORD: password,
        AKOSHA_DATA_DIR: server.dir,
      }).nats;
    const log = createLogger('silent');
    const handle = await connectOrStartNats(nats(password), log);
    expect(handle.local).toBeUndefined();
    await handle.nc.close();
    await expect(connectOrStartNats(nats('wrong'), log)).rejects.toThrow(/authorization/i);
  });

  it('refuses a wrong password and no credentials', async () => {
    await expect(roundTrip(withUser('akosha', 'wrong'))).rejects.toThrow(/authorization/i);
    await expect(roundTrip({ servers: server.url })).rejects.toThrow(/authorization/i);
  });
});
