import { readFile, readdir, rm, stat } from 'node:fs/promises';
import { Agent } from 'node:https';
import { dirname, join, sep } from 'node:path';
import {
  DeleteObjectCommand,
  GetObjectCommand,
  HeadObjectCommand,
  ListObjectsV2Command,
  PutObjectCommand,
  S3Client,
} from '@aws-sdk/client-s3';
import { readPemFile, withCertAdvice } from '../../infra';
import { mkdirSynced, nodeFs, syncDir, writeSynced, type DurableFs } from './durable-file';

export type ObjectMetadata = Record<string, string>;

/** Where cold Parquet objects live: S3 (any compatible endpoint) or a local directory. */
export interface ObjectStore {
  put(key: string, body: Buffer, metadata: ObjectMetadata): Promise<void>;
  /** null when the object does not exist; `signal` aborts the transfer itself */
  get(
    key: string,
    opts?: { signal?: AbortSignal },
  ): Promise<{ body: Buffer; metadata: ObjectMetadata } | null>;
  head(key: string): Promise<ObjectMetadata | null>;
  /** succeeds when the object does not exist */
  delete(key: string): Promise<void>;
  list(prefix: string): Promise<string[]>;
}

export interface S3StoreOptions {
  bucket: string;
  endpoint?: string;
  region?: string;
  forcePathStyle?: boolean;
  credentials?: { accessKeyId: string; secretAccessKey: string };
  /** PEM file of a private CA for an https endpoint; absent or empty: the system's CAs */
  caFile?: string;
}

export function s3Client(opts: S3StoreOptions): S3Client {
  return new S3Client({
    region: opts.region ?? 'us-east-1',
    ...(opts.endpoint !== undefined ? { endpoint: opts.endpoint } : {}),
    forcePathStyle: opts.forcePathStyle ?? opts.endpoint !== undefined,
    ...(opts.credentials ? { credentials: opts.credentials } : {}),
    requestChecksumCalculation: 'WHEN_REQUIRED',
    responseChecksumValidation: 'WHEN_REQUIRED',
    ...(opts.caFile && {
      // the SDK's default agent keeps connections alive with up to 50 sockets: so does this one
      requestHandler: {
        httpsAgent: new Agent({
          ca: readPemFile('AKOSHA_COLD_S3_CA', opts.caFile),
          keepAlive: true,
          maxSockets: 50,
        }),
      },
    }),
  });
}

/** An S3 call's error, with advice when the endpoint's certificate is not trusted. */
const explained = (err: unknown): never => {
  throw withCertAdvice(err, 'AKOSHA_COLD_S3_CA');
};

const notFound = (err: unknown) => {
  const e = err as { name?: string; $metadata?: { httpStatusCode?: number } };
  return e.name === 'NoSuchKey' || e.name === 'NotFound' || e.$metadata?.httpStatusCode === 404;
};

export class S3ObjectStore implements ObjectStore {
  constructor(
    private readonly client: S3Client,
    private readonly bucket: string,
  ) {}

  async put(key: string, body: Buffer, metadata: ObjectMetadata): Promise<void> {
    await this.client
      .send(new PutObjectCommand({ Bucket: this.bucket, Key: key, Body: body, Metadata: metadata }))
      .catch(explained);
  }

  async get(
    key: string,
    opts: { signal?: AbortSignal } = {},
  ): Promise<{ body: Buffer; metadata: ObjectMetadata } | null> {
    try {
      const out = await this.client.send(
        new GetObjectCommand({ Bucket: this.bucket, Key: key }),
        opts.signal && { abortSignal: opts.signal },
      );
      const bytes = await out.Body!.transformToByteArray();
      return { body: Buffer.from(bytes), metadata: out.Metadata ?? {} };
    } catch (err) {
      if (notFound(err)) return null;
      return explained(err);
    }
  }

  async head(key: string): Promise<ObjectMetadata | null> {
    try {
      const out = await this.client.send(new HeadObjectCommand({ Bucket: this.bucket, Key: key }));
      return out.Metadata ?? {};
    } catch (err) {
      if (notFound(err)) return null;
      return explained(err);
    }
  }

  async delete(key: string): Promise<void> {
    await this.client
      .send(new DeleteObjectCommand({ Bucket: this.bucket, Key: key }))
      .catch(explained);
  }

  async list(prefix: string): Promise<string[]> {
    const keys: string[] = [];
    let token: string | undefined;
    do {
      const out = await this.client
        .send(
          new ListObjectsV2Command({
            Bucket: this.bucket,
            Prefix: prefix,
            ...(token !== undefined ? { ContinuationToken: token } : {}),
          }),
        )
        .catch(explained);
      for (const o of out.Contents ?? []) if (o.Key !== undefined) keys.push(o.Key);
      token = out.IsTruncated ? out.NextContinuationToken : undefined;
    } while (token !== undefined);
    return keys.sort();
  }
}

const META_SUFFIX = '.meta.json';

/**
 * The same interface on a local directory (no S3 configured): `<key>` + `<key>.meta.json`.
 * A put is durable when it returns (files fsynced, then renamed, then the directory
 * fsynced), because the mover deletes the warm source right after.
 */
export class LocalObjectStore implements ObjectStore {
  constructor(
    private readonly root: string,
    private readonly fs: DurableFs = nodeFs,
  ) {}

  private path(key: string): string {
    if (key.split('/').some((p) => p === '..' || p === '')) throw new Error(`bad key: ${key}`);
    return join(this.root, ...key.split('/'));
  }

  async put(key: string, body: Buffer, metadata: ObjectMetadata): Promise<void> {
    const path = this.path(key);
    await mkdirSynced(this.fs, dirname(path));
    await writeSynced(this.fs, `${path}${META_SUFFIX}.tmp`, JSON.stringify(metadata));
    await writeSynced(this.fs, `${path}.tmp`, body);
    // the object exists once its body has its name, so the metadata is renamed first
    await this.fs.rename(`${path}${META_SUFFIX}.tmp`, `${path}${META_SUFFIX}`);
    await this.fs.rename(`${path}.tmp`, path);
    await syncDir(this.fs, dirname(path));
  }

  async get(
    key: string,
    opts: { signal?: AbortSignal } = {},
  ): Promise<{ body: Buffer; metadata: ObjectMetadata } | null> {
    const metadata = await this.head(key);
    if (metadata === null) return null;
    return { body: await readFile(this.path(key), { signal: opts.signal }), metadata };
  }

  async head(key: string): Promise<ObjectMetadata | null> {
    const path = this.path(key);
    try {
      await stat(path);
      return JSON.parse(await readFile(`${path}${META_SUFFIX}`, 'utf8')) as ObjectMetadata;
    } catch (err) {
      if ((err as NodeJS.ErrnoException).code === 'ENOENT') return null;
      throw err;
    }
  }

  async delete(key: string): Promise<void> {
    const path = this.path(key);
    await rm(path, { force: true });
    await rm(`${path}${META_SUFFIX}`, { force: true });
  }

  async list(prefix: string): Promise<string[]> {
    const files = await readdir(this.root, { recursive: true }).catch(() => [] as string[]);
    const all = new Set(files.map((f) => f.split(sep).join('/')));
    return [...all].filter((k) => k.startsWith(prefix) && all.has(`${k}${META_SUFFIX}`)).sort();
  }
}
