import { mkdtempSync, readdirSync, rmSync, statSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { gzipSync } from 'node:zlib';
import { DeleteObjectCommand, HeadObjectCommand, type S3Client } from '@aws-sdk/client-s3';
import { DuckDBInstance } from '@duckdb/node-api';
import { fetchUpload, type FetchOptions } from '../../cloud/fetch-upload';
import { cloudS3Client } from '../../cloud/s3';
import type { CloudUploadRef } from '../../cloud/types';
import type { CloudConfig } from '../../infra/config-types';
import { AkoshaError, type ErrorCode } from '../../infra/errors';
import { createSessionBuddyFile } from '../fixtures/session-buddy';
import { startTestS3, type TestS3 } from '../helpers/s3';
import {
  putBody,
  putSessionBuddyUpload,
  type SessionBuddyManifestJson,
  type SessionBuddyUpload,
} from '../helpers/session-buddy-bucket';
import { makeTestCa, type TestCa } from '../helpers/tls';

const SYSTEM = 'fetch-system';
const MAX = 64 * 2 ** 20;

let ca: TestCa;
let s3: TestS3;
let client: S3Client;
let work: string;
let temp: string;
let reflection: string;
let knowledgeGraph: string;
const CONVERSATIONS = 7;
let uploadNo = 0;

const cloudConfig = (over: Partial<CloudConfig> = {}): CloudConfig => ({
  bucket: s3.bucket,
  endpoint: s3.endpoint,
  region: 'us-east-1',
  forcePathStyle: true,
  caFile: ca.cert,
  pollMs: 30_000,
  eventsSubject: '',
  maxFileBytes: MAX,
  abandonAfterMs: 3_600_000,
  ...over,
});

beforeAll(async () => {
  process.env.AWS_ACCESS_KEY_ID = 'S3RVER';
  process.env.AWS_SECRET_ACCESS_KEY = 'S3RVER';
  ca = makeTestCa();
  s3 = await startTestS3('sb-uploads', ca);
  client = cloudS3Client(cloudConfig());
  work = mkdtempSync(join(tmpdir(), 'akosha-fetch-test-'));
  temp = mkdtempSync(join(tmpdir(), 'akosha-fetch-temp-'));
  reflection = join(work, 'reflection.duckdb');
  await createSessionBuddyFile(reflection, { conversations: CONVERSATIONS, reflections: 3 });
  knowledgeGraph = join(work, 'knowledge_graph.duckdb');
  await createGraphFile(knowledgeGraph);
});

afterAll(async () => {
  client?.destroy();
  await s3?.stop();
  for (const dir of [work, temp, ca?.dir]) if (dir) rmSync(dir, { recursive: true, force: true });
});

// a test that fails before its cleanup leaves its temp dir: not the next test's fault
afterEach(() => {
  for (const left of readdirSync(temp)) rmSync(join(temp, left), { recursive: true, force: true });
});

async function createGraphFile(path: string): Promise<void> {
  const instance = await DuckDBInstance.create(path);
  const conn = await instance.connect();
  await conn.run(`CREATE TABLE kg_entities (id VARCHAR PRIMARY KEY, name VARCHAR, entity_type VARCHAR);
    INSERT INTO kg_entities VALUES ('e1', 'Akosha', 'project'), ('e2', 'DuckDB', 'tool')`);
  conn.closeSync();
  instance.closeSync();
}

async function count(path: string, table: string): Promise<number> {
  const instance = await DuckDBInstance.create(path, { access_mode: 'READ_ONLY' });
  const conn = await instance.connect();
  const rows = await (await conn.run(`SELECT count(*)::INTEGER FROM ${table}`)).getRows();
  conn.closeSync();
  instance.closeSync();
  return rows[0]![0] as number;
}

const storedSize = async (key: string) =>
  (await s3.client.send(new HeadObjectCommand({ Bucket: s3.bucket, Key: key }))).ContentLength!;

const put = (opts: Partial<SessionBuddyUpload> = {}) =>
  putSessionBuddyUpload(s3, {
    systemId: SYSTEM,
    uploadId: `20250208_1430${String(uploadNo++).padStart(2, '0')}_${SYSTEM}`,
    files: { 'reflection.duckdb': reflection, 'knowledge_graph.duckdb': knowledgeGraph },
    gzip: true,
    sizeAndChecksum: false,
    ...opts,
  });

const editFile =
  (name: string, edit: Partial<SessionBuddyManifestJson['files'][number]>) =>
  (m: SessionBuddyManifestJson) => ({
    ...m,
    files: m.files.map((f) => (f.name === name ? { ...f, ...edit } : f)),
  });

const fetchIt = (ref: CloudUploadRef, opts: Partial<FetchOptions> = {}) =>
  fetchUpload(client, ref, { maxFileBytes: MAX, tempDir: temp, ...opts });

const tempLeft = () => readdirSync(temp);

/** The fetch fails with `code`, its message names `key`, and no temp dir is left behind. */
async function expectFailure(ref: CloudUploadRef, code: ErrorCode, key: string, opts = {}) {
  const err = await fetchIt(ref, opts).then(
    () => new Error('fetched'),
    (e: unknown) => e,
  );
  expect(err).toBeInstanceOf(AkoshaError);
  expect((err as AkoshaError).code).toBe(code);
  expect((err as AkoshaError).message).toContain(key);
  expect(tempLeft()).toEqual([]);
  return err as AkoshaError;
}

describe('fetchUpload: uploads Session-Buddy makes', () => {
  it.each([
    { gzip: true, sizeAndChecksum: false },
    { gzip: true, sizeAndChecksum: true },
    { gzip: false, sizeAndChecksum: false },
    { gzip: false, sizeAndChecksum: true },
  ])('gzip $gzip, size and checksum $sizeAndChecksum: plain DuckDB files', async (opts) => {
    const { ref, keys } = await put(opts);
    const got = await fetchIt(ref);
    expect(got.manifest.upload_id).toBe(ref.upload_id);
    expect(await count(got.files.reflection!, 'conversations')).toBe(CONVERSATIONS);
    expect(await count(got.files.knowledgeGraph!, 'kg_entities')).toBe(2);
    const stored =
      (await storedSize(keys['reflection.duckdb']!)) +
      (await storedSize(keys['knowledge_graph.duckdb']!)) +
      (await storedSize(ref.manifest_key));
    expect(got.bytesDownloaded).toBe(stored);
    expect(got.ignored).toEqual([]);
    await got.cleanup();
    expect(tempLeft()).toEqual([]);
    await got.cleanup();
  });

  it('takes only the files that are there, and reports each byte as it arrives', async () => {
    const { ref } = await put({ files: { 'reflection.duckdb': reflection } });
    let reported = 0;
    const got = await fetchIt(ref, { onBytes: (n) => (reported += n) });
    expect(Object.keys(got.files)).toEqual(['reflection']);
    expect(reported).toBe(got.bytesDownloaded);
    await got.cleanup();
  });

  it('is liberal where Session-Buddy may vary', async () => {
    const { ref } = await put({
      sizeAndChecksum: true,
      manifestOverrides: (m) => {
        const { metadata: _dropped, ...rest } = m;
        return {
          ...rest,
          extra: { anything: true },
          files: [
            ...m.files.map((f) => ({
              ...f,
              path: `s3://${s3.bucket}/${f.path}`,
              checksum: f.checksum.toUpperCase(),
              note: 'extra field',
            })),
            { name: 'notes.txt', path: '', size_bytes: 0, compression: 'none', checksum: '' },
          ],
        };
      },
    });
    const got = await fetchIt(ref);
    expect(got.ignored).toEqual(['notes.txt']);
    expect(Object.keys(got.files).sort()).toEqual(['knowledgeGraph', 'reflection']);
    await got.cleanup();
  });

  it("accepts size and checksum of the database inside the gzip (its local file's)", async () => {
    const { createHash } = await import('node:crypto');
    const { readFileSync } = await import('node:fs');
    const plain = readFileSync(reflection);
    const { ref } = await put({
      files: { 'reflection.duckdb': reflection },
      manifestOverrides: editFile('reflection.duckdb', {
        size_bytes: plain.length,
        checksum: createHash('sha256').update(plain).digest('hex'),
      }),
    });
    const got = await fetchIt(ref);
    expect(statSync(got.files.reflection!).size).toBe(plain.length);
    await got.cleanup();
  });
});

describe('fetchUpload: each fault of an upload has its code and names the key', () => {
  it('a manifest that is not JSON', async () => {
    const { ref } = await put();
    await putBody(s3, ref.manifest_key, '{"upload_id": ');
    const err = await expectFailure(ref, 'CLOUD_MANIFEST_INVALID', ref.manifest_key);
    expect(err.message).toContain('not JSON');
  });

  it('a manifest that is not Session-Buddy’s', async () => {
    const { ref } = await put({
      manifestOverrides: editFile('reflection.duckdb', { compression: 'zstd' as 'gzip' }),
    });
    const err = await expectFailure(ref, 'CLOUD_MANIFEST_INVALID', ref.manifest_key);
    expect(err.issues[0]?.path).toBe('files.0.compression');
  });

  it.each([
    ['a file name outside the pattern', { name: '../reflection.duckdb' }],
    ['a checksum that is not hex', { checksum: 'not-a-sha256' }],
    ['a negative size', { size_bytes: -1 }],
  ])('%s', async (_what, edit) => {
    const { ref } = await put({ manifestOverrides: editFile('reflection.duckdb', edit) });
    await expectFailure(ref, 'CLOUD_MANIFEST_INVALID', ref.manifest_key);
  });

  it('a manifest past 16 files, past 1 MiB, with a name twice, or without a known file', async () => {
    const entry = { name: 'x', path: '', size_bytes: 0, compression: 'none', checksum: '' };
    const cases: ((m: SessionBuddyManifestJson) => unknown)[] = [
      (m) => ({
        ...m,
        files: [...m.files, ...Array.from({ length: 15 }, (_, i) => ({ ...entry, name: `f${i}` }))],
      }),
      (m) => ({ ...m, padding: 'x'.repeat(1024 * 1024) }),
      (m) => ({ ...m, files: [...m.files, m.files[0]] }),
      (m) => ({ ...m, files: [entry] }),
    ];
    for (const manifestOverrides of cases) {
      const { ref } = await put({ manifestOverrides });
      await expectFailure(ref, 'CLOUD_MANIFEST_INVALID', ref.manifest_key);
    }
  });

  it('no manifest at the key', async () => {
    const { ref } = await put();
    await s3.client.send(new DeleteObjectCommand({ Bucket: s3.bucket, Key: ref.manifest_key }));
    await expectFailure(ref, 'CLOUD_MANIFEST_INVALID', ref.manifest_key);
  });

  it.each([
    ['system_id', { system_id: 'another-system' }],
    ['upload_id', { upload_id: '20250101_000000_another' }],
  ])('a manifest whose %s differs from its key path', async (field, over) => {
    const { ref } = await put({ manifestOverrides: over });
    const err = await expectFailure(ref, 'CLOUD_PATH_MISMATCH', ref.manifest_key);
    expect(err.message).toContain(field);
  });

  it("a file whose path is another upload's", async () => {
    const other = `systems/${SYSTEM}/uploads/other/reflection.duckdb`;
    const { ref } = await put({
      manifestOverrides: editFile('reflection.duckdb', { path: other }),
    });
    const err = await expectFailure(ref, 'CLOUD_PATH_MISMATCH', ref.manifest_key);
    expect(err.message).toContain(other);
  });

  it('a ref whose manifest key is not its ids’', async () => {
    const { ref } = await put();
    const moved = { ...ref, manifest_key: `systems/${SYSTEM}/uploads/elsewhere/manifest.json` };
    await expectFailure(moved, 'CLOUD_PATH_MISMATCH', moved.manifest_key);
  });

  it('a file the manifest names that is not in the bucket', async () => {
    const { ref, keys } = await put();
    const key = keys['knowledge_graph.duckdb']!;
    await s3.client.send(new DeleteObjectCommand({ Bucket: s3.bucket, Key: key }));
    await expectFailure(ref, 'CLOUD_FILE_MISSING', key);
  });

  it.each([true, false])('a size that is not the object’s (gzip %s)', async (gzip) => {
    const { ref, keys } = await put({
      gzip,
      manifestOverrides: editFile('reflection.duckdb', { size_bytes: 12_345 }),
    });
    await expectFailure(ref, 'CLOUD_SIZE_MISMATCH', keys['reflection.duckdb']!);
  });

  it('a checksum that is not the object’s', async () => {
    const { ref, keys } = await put({
      sizeAndChecksum: true,
      manifestOverrides: editFile('knowledge_graph.duckdb', { checksum: 'ab'.repeat(32) }),
    });
    await expectFailure(ref, 'CLOUD_CHECKSUM_MISMATCH', keys['knowledge_graph.duckdb']!);
  });

  it('a gzip file cut short, and one that is not gzip at all', async () => {
    for (const body of [
      gzipSync(Buffer.alloc(300_000, 7)).subarray(0, 200),
      Buffer.from('plain'),
    ]) {
      const { ref, keys } = await put();
      await putBody(s3, keys['reflection.duckdb']!, body);
      await expectFailure(ref, 'CLOUD_GZIP_CORRUPT', keys['reflection.duckdb']!);
    }
  });

  it.each([true, false])('a file past the cap stops the download (gzip %s)', async (gzip) => {
    const cap = 64 * 1024;
    expect(statSync(reflection).size).toBeGreaterThan(cap);
    const { ref, keys } = await put({ gzip });
    const err = await expectFailure(ref, 'CLOUD_TOO_LARGE', keys['reflection.duckdb']!, {
      maxFileBytes: cap,
    });
    expect(err.message).toContain(String(cap));
  });

  it('a file that is not a DuckDB database', async () => {
    const junk = join(work, 'junk.duckdb');
    writeFileSync(junk, 'this is not a database\n'.repeat(1000));
    for (const gzip of [true, false]) {
      const { ref, keys } = await put({ gzip, files: { 'reflection.duckdb': junk } });
      await expectFailure(ref, 'CLOUD_DB_UNREADABLE', keys['reflection.duckdb']!);
    }
  });

  it('a gzip file marked "none" is taken at its word and fails to open, saying why', async () => {
    const { ref, keys } = await put({
      manifestOverrides: editFile('reflection.duckdb', { compression: 'none' }),
    });
    const err = await expectFailure(ref, 'CLOUD_DB_UNREADABLE', keys['reflection.duckdb']!);
    expect(err.message).toContain('starts like gzip');
  });
});

describe('fetchUpload: faults of the bucket are plain errors (retried)', () => {
  it('an endpoint whose certificate is not trusted names AKOSHA_SB_S3_CA', async () => {
    const { ref } = await put();
    const untrusting = cloudS3Client(cloudConfig({ caFile: '' }));
    try {
      const err = await fetchUpload(untrusting, ref, { maxFileBytes: MAX, tempDir: temp }).catch(
        (e: unknown) => e,
      );
      expect(err).toBeInstanceOf(Error);
      expect(err).not.toBeInstanceOf(AkoshaError);
      expect((err as Error).message).toContain('AKOSHA_SB_S3_CA');
      expect(tempLeft()).toEqual([]);
    } finally {
      untrusting.destroy();
    }
  });

  it('a server that is gone', async () => {
    const gone = await startTestS3('sb-gone', ca);
    const { ref } = await putSessionBuddyUpload(gone, {
      systemId: SYSTEM,
      uploadId: 'gone-upload',
      files: { 'reflection.duckdb': reflection },
      gzip: true,
      sizeAndChecksum: false,
    });
    const goneClient = cloudS3Client(cloudConfig({ bucket: 'sb-gone', endpoint: gone.endpoint }));
    await gone.stop();
    try {
      const err = await fetchUpload(goneClient, ref, { maxFileBytes: MAX, tempDir: temp }).catch(
        (e: unknown) => e,
      );
      expect(err).toBeInstanceOf(Error);
      expect(err).not.toBeInstanceOf(AkoshaError);
      expect(tempLeft()).toEqual([]);
    } finally {
      goneClient.destroy();
    }
  });

  it('a CA file that cannot be read fails at the start, naming AKOSHA_SB_S3_CA', () => {
    expect(() => cloudS3Client(cloudConfig({ caFile: join(work, 'missing.pem') }))).toThrow(
      /AKOSHA_SB_S3_CA/,
    );
  });
});
