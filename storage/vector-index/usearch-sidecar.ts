import { createHash } from 'node:crypto';
import { open, stat, type FileHandle } from 'node:fs/promises';
import { sha256InWorker } from './file-hash';
import type { PointColumns, PointSnapshot } from './point-snapshot';

/**
 * The sidecar next to a usearch file (`shard-NNN.usearch.meta`): what usearch does not keep —
 * every point's payload, a copy of its vector (exact ranking; usearch 2.25's Node binding
 * cannot return stored vectors) and its extra (what a search result shows) — and the size and
 * sha256 of the usearch file it belongs to. usearch 2.25 crashes the process (native abort)
 * on a truncated file, so a file is loaded only once it matches the checksum recorded here.
 * Payloads are columns, loaded into memory; vectors and extras stay in the file and are read
 * in place (PointFile).
 *
 * Layout (little-endian): MAGIC | u32 header length | header JSON | u32 + ids JSON | u32 +
 * strings JSON | zero padding to 8 bytes | keys u64 × n | times f64 × n | system, kind,
 * project, tier u32 × n each | shard i32 × n | extra length u32 × n | vectors f32 × n × d |
 * extras | sha256 of everything before. Version 1 (payloads as JSON objects, no extras) is
 * refused: the index is rebuilt from its source.
 */
const MAGIC = Buffer.from('AKVIDX2\n', 'ascii');
const FORMAT_VERSION = 2;
const CHUNK = 1 << 24;
/**
 * A save writes (and hashes) this much per turn of the event loop, and reads vectors for it in
 * blocks of VECTOR_ROWS: searches wait for a few milliseconds of it, not for 16 MB
 * (bench:index-save).
 */
const WRITE_CHUNK = 1 << 20;
const VECTOR_ROWS = 512;

export interface SidecarHeader {
  version: number;
  dimensions: number;
  count: number;
  index_bytes: number;
  index_sha256: string;
  connectivity: number;
  /** absent in files of before the setting: f32 */
  quantization?: 'f32' | 'i8' | undefined;
  saved_at: string;
  /** what the index's source said it was at when these points matched it (opaque) */
  marks?: Record<string, string> | undefined;
}

/** Where the vectors and extras of a sidecar start (PointFile reads them there). */
export interface SidecarLayout {
  vectorsAt: number;
  extrasAt: number;
}

export interface SidecarContent {
  header: SidecarHeader;
  columns: PointColumns;
  layout: SidecarLayout;
}

export class SidecarError extends Error {
  override name = 'SidecarError';
}

export const sidecarPath = (indexPath: string) => `${indexPath}.meta`;

export async function fileSize(path: string): Promise<number | undefined> {
  try {
    return (await stat(path)).size;
  } catch {
    return undefined;
  }
}

const u32 = (n: number) => {
  const b = Buffer.alloc(4);
  b.writeUInt32LE(n);
  return b;
};
const bytesOf = (a: ArrayBufferView) => Buffer.from(a.buffer, a.byteOffset, a.byteLength);
const COLUMNS = [
  'keys',
  'times',
  'system',
  'kind',
  'project',
  'tier',
  'shard',
  'extraBytes',
] as const;

/** Appends buffers to a file through one hash, in writes of about WRITE_CHUNK bytes. */
class HashedWriter {
  readonly hash = createHash('sha256');
  private pending: Buffer[] = [];
  private pendingBytes = 0;
  position = 0;

  constructor(private readonly fh: FileHandle) {}

  async push(b: Buffer): Promise<void> {
    this.hash.update(b);
    this.pending.push(b);
    this.pendingBytes += b.length;
    this.position += b.length;
    if (this.pendingBytes >= WRITE_CHUNK) await this.flush();
  }

  async flush(): Promise<void> {
    if (this.pendingBytes === 0) return;
    await this.fh.write(Buffer.concat(this.pending, this.pendingBytes));
    this.pending = [];
    this.pendingBytes = 0;
  }
}

/** Writes the snapshot's points; returns where its vectors and extras start. */
export async function writeSidecar(
  path: string,
  header: SidecarHeader,
  snap: PointSnapshot,
): Promise<SidecarLayout> {
  const cols = snap.columns;
  const fh = await open(path, 'w');
  try {
    const w = new HashedWriter(fh);
    await w.push(MAGIC);
    const json = (v: unknown) => Buffer.from(JSON.stringify(v));
    const head = json({ ...header, version: FORMAT_VERSION });
    for (const part of [head, json(cols.ids), json(cols.strings)]) {
      await w.push(u32(part.length));
      await w.push(part);
    }
    await w.push(Buffer.alloc((8 - (w.position % 8)) % 8));
    for (const name of COLUMNS) await w.push(bytesOf(cols[name]));
    const vectorsAt = w.position;
    await writeVectors(w, snap);
    const extrasAt = w.position;
    for (let row = 0; row < snap.count; row++) {
      const extra = snap.extra(row);
      if (extra) await w.push(extra);
    }
    await w.flush();
    await fh.write(w.hash.digest());
    await fh.sync();
    return { vectorsAt, extrasAt };
  } finally {
    await fh.close();
  }
}

async function writeVectors(w: HashedWriter, snap: PointSnapshot): Promise<void> {
  const d = snap.dimensions;
  for (let start = 0; start < snap.count; start += VECTOR_ROWS) {
    const count = Math.min(VECTOR_ROWS, snap.count - start);
    const rows = new Float32Array(count * d);
    snap.readVectors(start, count, rows);
    await w.push(bytesOf(rows));
  }
}

/** Reads from a position on. */
class SidecarReader {
  position = 0;

  constructor(
    private readonly fh: FileHandle,
    private readonly path: string,
  ) {}

  async read(n: number, into?: Buffer): Promise<Buffer> {
    const b = into ?? Buffer.alloc(n);
    for (let off = 0; off < n;) {
      const { bytesRead } = await this.fh.read(b, off, Math.min(CHUNK, n - off), this.position);
      if (bytesRead === 0) throw new SidecarError(`sidecar truncated: ${this.path}`);
      off += bytesRead;
      this.position += bytesRead;
    }
    return b;
  }

  async json<T>(): Promise<T> {
    const b = await this.read((await this.read(4)).readUInt32LE());
    try {
      return JSON.parse(b.toString('utf8')) as T;
    } catch {
      throw new SidecarError(`sidecar is not valid: ${this.path}`);
    }
  }

  async column<T extends ArrayBufferView>(make: (n: number) => T, n: number): Promise<T> {
    const out = make(n);
    await this.read(out.byteLength, bytesOf(out));
    return out;
  }
}

/**
 * Reads and verifies a sidecar (every byte against its sha256, the vectors and extras too,
 * hashed on a worker thread while the columns are read); keeps its columns. Throws
 * SidecarError when it is missing, cut, altered or of version 1.
 */
export async function readSidecar(path: string): Promise<SidecarContent> {
  const size = await fileSize(path);
  if (size === undefined) throw new SidecarError(`sidecar missing: ${path}`);
  if (size < MAGIC.length + 8 + 32) throw new SidecarError(`sidecar truncated: ${path}`);
  const digest = sha256InWorker(path, size - 32);
  digest.catch(() => undefined); // awaited below, unless the checks before it throw
  const fh = await open(path, 'r');
  try {
    const r = new SidecarReader(fh, path);
    const magic = await r.read(MAGIC.length);
    if (magic.subarray(0, 6).equals(MAGIC.subarray(0, 6)) && !magic.equals(MAGIC))
      throw new SidecarError(`sidecar of an older format: ${path}`);
    if (!magic.equals(MAGIC)) throw new SidecarError(`not a sidecar: ${path}`);
    const header = await r.json<SidecarHeader>();
    checkHeader(header, path);
    const n = header.count;
    const ids = await r.json<string[]>();
    const strings = await r.json<string[]>();
    if (!Array.isArray(ids) || ids.length !== n || !Array.isArray(strings))
      throw new SidecarError(`sidecar payload count differs from its header: ${path}`);
    await r.read((8 - (r.position % 8)) % 8);
    if (r.position + n * 40 > size) throw new SidecarError(`sidecar length is wrong: ${path}`);
    const columns: PointColumns = {
      keys: await r.column((k) => new BigUint64Array(k), n),
      times: await r.column((k) => new Float64Array(k), n),
      system: await r.column((k) => new Uint32Array(k), n),
      kind: await r.column((k) => new Uint32Array(k), n),
      project: await r.column((k) => new Uint32Array(k), n),
      tier: await r.column((k) => new Uint32Array(k), n),
      shard: await r.column((k) => new Int32Array(k), n),
      extraBytes: await r.column((k) => new Uint32Array(k), n),
      ids,
      strings,
    };
    const vectorsAt = r.position;
    const extrasAt = vectorsAt + n * header.dimensions * 4;
    const extras = columns.extraBytes.reduce((a, b) => a + b, 0);
    if (extrasAt + extras + 32 !== size) throw new SidecarError(`sidecar length is wrong: ${path}`);
    const stored = Buffer.alloc(32);
    await fh.read(stored, 0, 32, size - 32);
    if (stored.toString('hex') !== (await digest))
      throw new SidecarError(`sidecar checksum mismatch: ${path}`);
    return { header, columns, layout: { vectorsAt, extrasAt } };
  } finally {
    await fh.close();
  }
}

function checkHeader(h: SidecarHeader, path: string): void {
  const ok =
    typeof h === 'object' &&
    h !== null &&
    h.version === FORMAT_VERSION &&
    Number.isInteger(h.dimensions) &&
    h.dimensions > 0 &&
    Number.isInteger(h.count) &&
    h.count >= 0 &&
    Number.isInteger(h.index_bytes) &&
    typeof h.index_sha256 === 'string';
  if (!ok) throw new SidecarError(`sidecar header is not valid: ${path}`);
}
