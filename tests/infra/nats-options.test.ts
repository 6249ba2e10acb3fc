import { mkdtempSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { createUser } from '@nats-io/nkeys';
import { loadConfig } from '../../infra/config';
import { inboxPrefixOf, natsConnectOptions } from '../../infra/nats-options';

describe('natsConnectOptions', () => {
  const dir = mkdtempSync(join(tmpdir(), 'akosha-nats-options-'));
  afterAll(() => rmSync(dir, { recursive: true, force: true }));
  const nats = (env: Record<string, string>) =>
    loadConfig({ AKOSHA_NATS_URL: 'nats://127.0.0.1:4999', ...env }).nats;

  it('without settings: the URL alone, and no stack captured per request', () => {
    expect(natsConnectOptions(nats({}), { name: 'x' })).toEqual({
      servers: ['nats://127.0.0.1:4999'],
      name: 'x',
      noAsyncTraces: true,
    });
  });

  it('an nkey seed file: an authenticator and the inbox prefix of its public key', () => {
    const pair = createUser();
    const file = join(dir, 'user.nk');
    const seed = new TextDecoder().decode(pair.getSeed());
    writeFileSync(file, `${seed}\n`);
    const opts = natsConnectOptions(nats({ AKOSHA_NATS_CREDS: file }));
    expect(typeof opts.authenticator).toBe('function');
    expect(opts.inboxPrefix).toBe(inboxPrefixOf(pair.getPublicKey()));
    expect(JSON.stringify(opts)).not.toContain(seed);
  });

  it('a .creds file: the creds authenticator, the default inbox', () => {
    const file = join(dir, 'user.creds');
    writeFileSync(
      file,
      '-----BEGIN NATS USER JWT-----\neyJ0eXAi.x.y\n------END NATS USER JWT------\n',
    );
    const opts = natsConnectOptions(nats({ AKOSHA_NATS_CREDS: file }));
    expect(typeof opts.authenticator).toBe('function');
    expect(opts.inboxPrefix).toBeUndefined();
  });

  it('a file that is neither: refused, without echoing its content', () => {
    const file = join(dir, 'junk');
    writeFileSync(file, 'hunter2-secret');
    expect(() => natsConnectOptions(nats({ AKOSHA_NATS_CREDS: file }))).toThrow(
      /neither a user nkey seed/,
    );
    try {
      natsConnectOptions(nats({ AKOSHA_NATS_CREDS: file }));
    } catch (err) {
      expect(String(err)).not.toContain('hunter2');
    }
  });

  it('a missing file names the setting and the path', () => {
    expect(() => natsConnectOptions(nats({ AKOSHA_NATS_CREDS: join(dir, 'none') }))).toThrow(
      /AKOSHA_NATS_CREDS: cannot read .*none \(ENOENT\)/,
    );
  });

  it('user and password', () => {
    const opts = natsConnectOptions(
      nats({ AKOSHA_NATS_USER: 'akosha', AKOSHA_NATS_PASSWORD: 'pw' }),
    );
    expect(opts).toMatchObject({ user: 'akosha', pass: 'pw' });
  });

  it('TLS files: CA alone, or CA with a client certificate', () => {
    expect(natsConnectOptions(nats({ AKOSHA_NATS_TLS_CA: '/ca.pem' })).tls).toEqual({
      caFile: '/ca.pem',
    });
    const mutual = nats({
      AKOSHA_NATS_TLS_CA: '/ca.pem',
      AKOSHA_NATS_TLS_CERT: '/c.pem',
      AKOSHA_NATS_TLS_KEY: '/k.pem',
    });
    expect(natsConnectOptions(mutual).tls).toEqual({
      caFile: '/ca.pem',
      certFile: '/c.pem',
      keyFile: '/k.pem',
    });
  });

  it('a client certificate without its key is refused', () => {
    expect(() => natsConnectOptions(nats({ AKOSHA_NATS_TLS_CERT: '/c.pem' }))).toThrow(
      /set together/,
    );
  });
});
