import { join } from 'node:path';
import { loadConfig } from '../../../infra/config';
import { openObjectStore, type ObjectStore } from '../../../storage/tiers';
import { startTestS3, type TestS3 } from '../../helpers/s3';
import { makeTestCa, type TestCa } from '../../helpers/tls';

const S3RVER_KEYS = { accessKeyId: 'S3RVER', secretAccessKey: 'S3RVER' };

describe('cold objects on an S3 endpoint over https with a private CA', () => {
  let ca: TestCa;
  let s3: TestS3;
  beforeAll(async () => {
    ca = makeTestCa();
    s3 = await startTestS3('akosha-cold-tls', ca);
  });
  afterAll(async () => {
    await s3?.stop();
  });

  /** The object store Akosha opens from its settings (credentials as the SDK would find them). */
  const storeFrom = (env: Record<string, string>): ObjectStore => {
    const { s3: settings } = loadConfig({
      AKOSHA_COLD_S3_BUCKET: s3.bucket,
      AKOSHA_COLD_S3_ENDPOINT: s3.endpoint,
      ...env,
    }).aging;
    return openObjectStore({
      s3: { ...settings!, credentials: S3RVER_KEYS },
      localDir: join(ca.dir, 'unused'),
    });
  };

  it('puts and gets an object when AKOSHA_COLD_S3_CA names the CA', async () => {
    expect(s3.endpoint).toMatch(/^https:\/\//);
    const store = storeFrom({ AKOSHA_COLD_S3_CA: ca.cert });
    const body = Buffer.from('PAR1 cold parquet bytes PAR1');
    await store.put('cold/system-a/2026/part-1.parquet', body, { rows: '3' });
    const got = await store.get('cold/system-a/2026/part-1.parquet');
    expect(got?.body.equals(body)).toBe(true);
    expect(got?.metadata).toEqual({ rows: '3' });
    expect(await store.list('cold/system-a/')).toEqual(['cold/system-a/2026/part-1.parquet']);
  });

  it('reports an untrusted certificate with the setting that fixes it', async () => {
    const store = storeFrom({});
    const failure = await store.put('cold/x', Buffer.from('x'), {}).then(
      () => undefined,
      (err: Error & { code?: string }) => err,
    );
    expect(failure?.code).toMatch(/UNABLE_TO_VERIFY_LEAF_SIGNATURE|SELF_SIGNED_CERT_IN_CHAIN/);
    expect(failure?.message).toMatch(/server certificate not trusted .*AKOSHA_COLD_S3_CA/);
    await expect(store.get('cold/x')).rejects.toThrow(/AKOSHA_COLD_S3_CA/);
  });

  it('fails at once on a CA file it cannot read', () => {
    expect(() => storeFrom({ AKOSHA_COLD_S3_CA: join(ca.dir, 'no-such-ca.pem') })).toThrow(
      /AKOSHA_COLD_S3_CA: cannot read .*no-such-ca\.pem \(ENOENT\)/,
    );
  });
});
