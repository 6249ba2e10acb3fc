import { writeFileSync } from 'node:fs';
import { join } from 'node:path';
import Fastify from 'fastify';
import type { Pipeline } from '../../app/pipeline';
import { httpsOptions, peerCertCN } from '../../api/tls';
import { TlsFileError } from '../../infra/tls-files';
import { httpsRequest } from '../helpers/https-client';
import { startTestNats, type TestNats } from '../helpers/nats';
import { startTestPipeline, testConfig } from '../helpers/pipeline';
import { makeTestCa, type TestCa } from '../helpers/tls';

describe('HTTP over TLS', () => {
  let nats: TestNats;
  let ca: TestCa;
  let otherCa: TestCa;
  beforeAll(async () => {
    nats = await startTestNats();
    ca = makeTestCa();
    otherCa = makeTestCa();
  });
  afterAll(async () => {
    await nats.stop();
  });

  const start = (env: Record<string, string>) =>
    startTestPipeline(testConfig(nats.url, env), ['api']);

  describe('server certificate only', () => {
    let pipeline: Pipeline;
    beforeAll(async () => {
      const server = ca.server();
      pipeline = await start({
        AKOSHA_HTTP_TLS_CERT: server.cert,
        AKOSHA_HTTP_TLS_KEY: server.key,
      });
    });
    afterAll(async () => {
      await pipeline.close();
    });

    it('listens on an https address', () => {
      expect(pipeline.httpAddress).toMatch(/^https:\/\/127\.0\.0\.1:\d+$/);
    });

    it('serves a client that trusts the CA', async () => {
      const res = await httpsRequest(`${pipeline.httpAddress}/health`, { ca: ca.cert });
      expect(res.status).toBe(200);
      expect(JSON.parse(res.body)).toMatchObject({ status: 'ok' });
    });

    it('is refused by a client that does not trust the CA', async () => {
      await expect(httpsRequest(`${pipeline.httpAddress}/health`)).rejects.toMatchObject({
        code: 'UNABLE_TO_VERIFY_LEAF_SIGNATURE',
      });
      await expect(
        httpsRequest(`${pipeline.httpAddress}/health`, { ca: otherCa.cert }),
      ).rejects.toMatchObject({ code: expect.stringMatching(/CERT|VERIFY/) });
    });

    it('refuses plain HTTP on the TLS port', async () => {
      const plain = pipeline.httpAddress!.replace('https://', 'http://');
      const outcome = await fetch(`${plain}/health`).then(
        (res) => res.status,
        (err: Error) => err.name,
      );
      expect(outcome).not.toBe(200);
    });
  });

  describe('mutual TLS', () => {
    let pipeline: Pipeline;
    let url: string;
    beforeAll(async () => {
      const server = ca.server('mtls-server');
      pipeline = await start({
        AKOSHA_HTTP_TLS_CERT: server.cert,
        AKOSHA_HTTP_TLS_KEY: server.key,
        AKOSHA_HTTP_TLS_CLIENT_CA: ca.cert,
      });
      url = `${pipeline.httpAddress}/health`;
    });
    afterAll(async () => {
      await pipeline.close();
    });

    it('refuses a client without a certificate', async () => {
      await expect(httpsRequest(url, { ca: ca.cert })).rejects.toMatchObject({
        code: expect.stringMatching(/CERTIFICATE_REQUIRED|ECONNRESET|HANDSHAKE/),
      });
    });

    it('refuses a client certificate signed by another CA', async () => {
      const stranger = otherCa.client('stranger');
      await expect(httpsRequest(url, { ca: ca.cert, ...stranger })).rejects.toMatchObject({
        code: expect.stringMatching(/UNKNOWN_CA|ECONNRESET|HANDSHAKE/),
      });
    });

    it('serves a client certificate signed by the client CA', async () => {
      const res = await httpsRequest(url, { ca: ca.cert, ...ca.client('ops-laptop') });
      expect(res.status).toBe(200);
    });
  });

  describe('peerCertCN', () => {
    const whoami = async (clientCa: string, client?: { cert: string; key: string }) => {
      const server = ca.server('whoami');
      const app = Fastify({ https: httpsOptions({ ...server, clientCa }) });
      app.get('/whoami', async (req) => ({ cn: peerCertCN(req) ?? null }));
      try {
        const base = await app.listen({ host: '127.0.0.1', port: 0 });
        const res = await httpsRequest(`${base}/whoami`, { ca: ca.cert, ...client });
        return (JSON.parse(res.body) as { cn: string | null }).cn;
      } finally {
        await app.close();
      }
    };

    it('is the subject CN of a verified client certificate', async () => {
      expect(await whoami(ca.cert, ca.client('reader-bot'))).toBe('reader-bot');
    });

    it('is absent without mutual TLS, even when the client sends a certificate', async () => {
      expect(await whoami('', ca.client('reader-bot'))).toBeNull();
    });
  });

  describe('certificate files checked at start', () => {
    const expectSettingError = (fn: () => unknown, setting: string, text: RegExp) => {
      let caught: unknown;
      try {
        fn();
      } catch (err) {
        caught = err;
      }
      expect(caught).toBeInstanceOf(TlsFileError);
      expect((caught as TlsFileError).setting).toBe(setting);
      expect((caught as Error).message).toMatch(text);
      expect((caught as Error).message).not.toMatch(/-----BEGIN|-----END/);
    };

    it('names the setting of a missing or unreadable file', () => {
      const server = ca.server('files');
      const missing = join(ca.dir, 'nope.pem');
      expectSettingError(
        () => httpsOptions({ cert: missing, key: server.key, clientCa: '' }),
        'AKOSHA_HTTP_TLS_CERT',
        /cannot read .*nope\.pem \(ENOENT\)/,
      );
      expectSettingError(
        () => httpsOptions({ cert: server.cert, key: server.key, clientCa: missing }),
        'AKOSHA_HTTP_TLS_CLIENT_CA',
        /ENOENT/,
      );
      expectSettingError(
        () => httpsOptions({ cert: server.cert, key: '', clientCa: '' }),
        'AKOSHA_HTTP_TLS_KEY',
        /must be set/,
      );
    });

    it('rejects a file that is not PEM and a key of another certificate', () => {
      const server = ca.server('pair');
      const other = ca.server('other');
      const junk = join(ca.dir, 'junk.pem');
      writeFileSync(junk, 'not a certificate');
      expectSettingError(
        () => httpsOptions({ cert: junk, key: server.key, clientCa: '' }),
        'AKOSHA_HTTP_TLS_CERT',
        /no PEM block/,
      );
      expectSettingError(
        () => httpsOptions({ cert: server.cert, key: other.key, clientCa: '' }),
        'AKOSHA_HTTP_TLS_CERT',
        /do not form a usable pair/,
      );
    });

    it('refuses a key or client CA without a certificate (no quiet plain HTTP)', () => {
      expect(() => testConfig(nats.url, { AKOSHA_HTTP_TLS_KEY: ca.key })).toThrow(
        /AKOSHA_HTTP_TLS_KEY and AKOSHA_HTTP_TLS_CLIENT_CA need AKOSHA_HTTP_TLS_CERT/,
      );
      expect(() => testConfig(nats.url, { AKOSHA_HTTP_TLS_CLIENT_CA: ca.cert })).toThrow(
        /need AKOSHA_HTTP_TLS_CERT/,
      );
    });

    it('fails the start of a pipeline whose certificate is missing', async () => {
      await expect(
        start({ AKOSHA_HTTP_TLS_CERT: join(ca.dir, 'absent.pem'), AKOSHA_HTTP_TLS_KEY: 'x' }),
      ).rejects.toThrow(/AKOSHA_HTTP_TLS_CERT: cannot read/);
    });
  });
});
