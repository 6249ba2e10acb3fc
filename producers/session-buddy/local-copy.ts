import { createHash, type Hash } from 'node:crypto';
import { createReadStream, createWriteStream, mkdtempSync, rmSync } from 'node:fs';
import { open } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { Transform } from 'node:stream';
import { pipeline } from 'node:stream/promises';
import { createGunzip } from 'node:zlib';
import { DuckDBInstance } from '@duckdb/node-api';

export interface LocalDatabase {
  dbPath: string;
  sha256: string;
  cleanup: () => void;
}

/** DuckDB cannot read gzip: such a file is gunzipped (streaming) into a temp dir removed on close. */
export async function localDatabaseCopy(path: string): Promise<LocalDatabase> {
  const hash = createHash('sha256');
  if (!(await isGzip(path))) {
    for await (const chunk of createReadStream(path)) hash.update(chunk as Buffer);
    return { dbPath: path, sha256: hash.digest('hex'), cleanup: () => {} };
  }
  const dir = mkdtempSync(join(tmpdir(), 'akosha-session-buddy-'));
  const cleanup = () => rmSync(dir, { recursive: true, force: true });
  const dbPath = join(dir, 'reflection.duckdb');
  try {
    await pipeline(
      createReadStream(path),
      createGunzip(),
      hashTap(hash),
      createWriteStream(dbPath),
    );
  } catch (err) {
    cleanup();
    throw new Error(
      `${path} looks gzip-compressed but cannot be decompressed: ${errorMessage(err)}`,
      { cause: err },
    );
  }
  return { dbPath, sha256: hash.digest('hex'), cleanup };
}

/** Passes chunks through unchanged, feeding each to the hash on the way. */
function hashTap(hash: Hash): Transform {
  return new Transform({
    transform(chunk: Buffer, _encoding, done) {
      hash.update(chunk);
      done(null, chunk);
    },
  });
}

/**
 * gzip starts with 1f 8b; a DuckDB file has "DUCK" at offset 8 after a checksum, which is
 * checked first because that checksum may itself start with 1f 8b.
 */
async function isGzip(path: string): Promise<boolean> {
  const handle = await open(path, 'r');
  try {
    const head = Buffer.alloc(12);
    const { bytesRead } = await handle.read(head, 0, 12, 0);
    if (bytesRead === 12 && head.toString('latin1', 8, 12) === 'DUCK') return false;
    return bytesRead >= 2 && head[0] === 0x1f && head[1] === 0x8b;
  } finally {
    await handle.close();
  }
}

/** One thread keeps the read order fixed, so the same file always yields the same batches. */
export async function openReadOnly(path: string, dbPath: string): Promise<DuckDBInstance> {
  try {
    return await DuckDBInstance.create(dbPath, { access_mode: 'READ_ONLY', threads: '1' });
  } catch (err) {
    throw new Error(`cannot open ${path} as a DuckDB database: ${errorMessage(err)}`, {
      cause: err,
    });
  }
}

function errorMessage(err: unknown): string {
  return err instanceof Error ? err.message : String(err);
}
