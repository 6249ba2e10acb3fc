import { createHash } from 'node:crypto';
import { createReadStream } from 'node:fs';
import { open, stat } from 'node:fs/promises';
import type { PointPayload } from './types';

/**
 * The sidecar next to a usearch file (`shard-NNN.usearch.meta`): what usearch does not keep —
 * the payload of every point and a copy of its vector (for exact search over a filter's few
 * candidates) — and the size and sha256 of the usearch file it belongs to. usearch 2.25
 * crashes the process (native abort) on a truncated file, so a file is loaded only once it
 * matches the checksum recorded here.
 *
 * Layout: MAGIC | u32 header length | header JSON | u32 payloads length | payloads JSON |
 * zero padding to 4 bytes | count × dimensions float32 (LE) | sha256 of everything before.
 */
const MAGIC = Buffer.from('AKVIDX1\n', 'ascii');
const FORMAT_VERSION = 1;
const CHUNK = 1 << 24;

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
}

export interface SidecarContent {
  header: SidecarHeader;
  payloads: PointPayload[];
  /** count × dimensions, in the order of `payloads` */
  vectors: Float32Array;
}

export class SidecarError extends Error {
  override name = 'SidecarError';
}

export const sidecarPath = (indexPath: string) => `${indexPath}.meta`;

export async function sha256File(path: string): Promise<string> {
  const hash = createHash('sha256');
  for await (const chunk of createReadStream(path, { highWaterMark: CHUNK })) {
    hash.update(chunk as Buffer);
  }
  return hash.digest('hex');
}

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

export async function writeSidecar(path: string, content: SidecarContent): Promise<void> {
  const header = Buffer.from(JSON.stringify({ ...content.header, version: FORMAT_VERSION }));
  const payloads = Buffer.from(JSON.stringify(content.payloads));
  const before = MAGIC.length + 4 + header.length + 4 + payloads.length;
  const pad = Buffer.alloc((4 - (before % 4)) % 4);
  const hash = createHash('sha256');
  const fh = await open(path, 'w');
  try {
    const write = async (b: Buffer) => {
      hash.update(b);
      await fh.write(b);
    };
    for (const b of [MAGIC, u32(header.length), header, u32(payloads.length), payloads, pad]) {
      await write(b);
    }
    const v = content.vectors;
    const bytes = Buffer.from(v.buffer, v.byteOffset, v.byteLength);
    for (let off = 0; off < bytes.length; off += CHUNK) {
      await write(bytes.subarray(off, Math.min(bytes.length, off + CHUNK)));
    }
    await fh.write(hash.digest());
    await fh.sync();
  } finally {
    await fh.close();
  }
}

/** Reads and verifies a sidecar; throws SidecarError when it is missing, cut or altered. */
export async function readSidecar(path: string): Promise<SidecarContent> {
  const size = await fileSize(path);
  if (size === undefined) throw new SidecarError(`sidecar missing: ${path}`);
  if (size < MAGIC.length + 8 + 32) throw new SidecarError(`sidecar truncated: ${path}`);
  const fh = await open(path, 'r');
  const hash = createHash('sha256');
  try {
    let pos = 0;
    const read = async (n: number, into?: Buffer) => {
      const b = into ?? Buffer.alloc(n);
      for (let off = 0; off < n;) {
        const { bytesRead } = await fh.read(b, off, Math.min(CHUNK, n - off), pos);
        if (bytesRead === 0) throw new SidecarError(`sidecar truncated: ${path}`);
        hash.update(b.subarray(off, off + bytesRead));
        off += bytesRead;
        pos += bytesRead;
      }
      return b;
    };
    if (!(await read(MAGIC.length)).equals(MAGIC)) throw new SidecarError(`not a sidecar: ${path}`);
    const header = parseJson<SidecarHeader>(await read((await read(4)).readUInt32LE()), path);
    checkHeader(header, path);
    const payloads = parseJson<PointPayload[]>(await read((await read(4)).readUInt32LE()), path);
    if (!Array.isArray(payloads) || payloads.length !== header.count) {
      throw new SidecarError(`sidecar payload count differs from its header: ${path}`);
    }
    await read((4 - (pos % 4)) % 4);
    if (pos + header.count * header.dimensions * 4 + 32 !== size) {
      throw new SidecarError(`sidecar length is wrong: ${path}`);
    }
    const vectors = new Float32Array(header.count * header.dimensions);
    await read(vectors.byteLength, Buffer.from(vectors.buffer));
    const stored = Buffer.alloc(32);
    await fh.read(stored, 0, 32, pos);
    if (!stored.equals(hash.digest())) throw new SidecarError(`sidecar checksum mismatch: ${path}`);
    return { header, payloads, vectors };
  } finally {
    await fh.close();
  }
}

function parseJson<T>(b: Buffer, path: string): T {
  try {
    return JSON.parse(b.toString('utf8')) as T;
  } catch {
    throw new SidecarError(`sidecar is not valid: ${path}`);
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
