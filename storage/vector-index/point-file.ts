import { closeSync, openSync, read, readSync } from 'node:fs';
import { promisify } from 'node:util';

const readAt = promisify(read);

/** bytes per read while the resident part loads */
const LOAD_CHUNK = 8 * 2 ** 20;

/**
 * The vectors and extras of a saved sidecar, read in place (pread) instead of held in memory:
 * a search reads only its candidates' rows, which the page cache keeps warm. The file is
 * never written after its save, so rows stay valid while it is open, also once a newer save
 * has replaced its name.
 *
 * Part of the file can be held in memory up to a byte budget (`loadResident`): each pread is
 * a system call of several µs and a search makes about 30 of them (a vector per candidate, an
 * extra per hit), so reads inside the resident part are copied from memory instead. The
 * extras go first, a hit's fields being fewer bytes than a vector, then a prefix of the
 * vectors. Memory stays bounded by the budget, not by the rows.
 */
export class PointFile {
  private readonly rowBytes: number;
  private closed = false;
  /** parts of the file held in memory, once loaded: `bytes` from offset `at` */
  private resident: { at: number; bytes: Buffer }[] = [];
  /** a load's read is in flight: closing the fd is left to it (no read of a reused fd) */
  private loading = false;

  private constructor(
    private readonly fd: number,
    readonly dimensions: number,
    readonly rows: number,
    private readonly vectorsAt: number,
    /** absolute offset and length of each row's extra (length 0: none) */
    private readonly extraAt: Float64Array,
    private readonly extraBytes: Uint32Array,
  ) {
    this.rowBytes = dimensions * 4;
  }

  static open(
    path: string,
    layout: {
      dimensions: number;
      rows: number;
      vectorsAt: number;
      extrasAt: number;
      extraBytes: Uint32Array;
    },
  ): PointFile {
    const extraAt = new Float64Array(layout.rows);
    let at = layout.extrasAt;
    for (let i = 0; i < layout.rows; i++) {
      extraAt[i] = at;
      at += layout.extraBytes[i]!;
    }
    const fd = openSync(path, 'r');
    return new PointFile(
      fd,
      layout.dimensions,
      layout.rows,
      layout.vectorsAt,
      extraAt,
      layout.extraBytes,
    );
  }

  /**
   * Reads up to `budgetBytes` of the file into memory off the event loop, the extras first,
   * then a prefix of the vectors; reads keep going to the file until it is done. Returns the
   * bytes held; never rejects: a failed load only leaves the reads on the file.
   */
  async loadResident(budgetBytes: number): Promise<number> {
    if (this.closed || this.loading) return 0;
    this.loading = true;
    try {
      const parts: { at: number; bytes: Buffer }[] = [];
      let left = Math.max(0, Math.floor(budgetBytes));
      const extrasAt = this.vectorsAt + this.rows * this.rowBytes;
      const regions = [
        { at: extrasAt, end: this.extrasEnd() },
        { at: this.vectorsAt, end: extrasAt },
      ];
      for (const { at, end } of regions) {
        const length = Math.min(left, end - at);
        if (length <= 0) continue;
        const bytes = await this.readRegion(at, length);
        if (!bytes) return 0;
        parts.push({ at, bytes });
        left -= length;
      }
      if (this.closed) return 0;
      this.resident = parts;
      return this.residentBytes;
    } catch {
      return 0;
    } finally {
      this.loading = false;
      if (this.closed) closeSync(this.fd);
    }
  }

  /** `length` bytes from `at`, read in chunks on the thread pool; undefined: closed or short. */
  private async readRegion(at: number, length: number): Promise<Buffer | undefined> {
    const buf = Buffer.allocUnsafeSlow(length);
    for (let off = 0; off < length;) {
      if (this.closed) return undefined;
      const chunk = Math.min(LOAD_CHUNK, length - off);
      const { bytesRead } = await readAt(this.fd, buf, off, chunk, at + off);
      if (bytesRead === 0) return undefined;
      off += bytesRead;
    }
    return buf;
  }

  /** Bytes of the file held in memory (0 until `loadResident` is done). */
  get residentBytes(): number {
    return this.resident.reduce((n, part) => n + part.bytes.length, 0);
  }

  private extrasEnd(): number {
    const last = this.rows - 1;
    return last < 0 ? this.vectorsAt : this.extraAt[last]! + this.extraBytes[last]!;
  }

  /** Reads `count` consecutive rows' vectors from `row` into `out` (count × dimensions). */
  readVectors(row: number, count: number, out: Float32Array): void {
    const bytes = count * this.rowBytes;
    const into = Buffer.from(out.buffer, out.byteOffset, bytes);
    this.read(into, this.vectorsAt + row * this.rowBytes);
  }

  extraLength(row: number): number {
    return this.extraBytes[row]!;
  }

  /** The row's extra bytes; undefined when it has none. */
  readExtra(row: number): Buffer | undefined {
    const n = this.extraBytes[row]!;
    if (n === 0) return undefined;
    const out = Buffer.allocUnsafe(n);
    this.read(out, this.extraAt[row]!);
    return out;
  }

  /** Fills `into` from `position`: from memory when a resident part holds those bytes. */
  private read(into: Buffer, position: number): void {
    for (const { at, bytes } of this.resident) {
      const from = position - at;
      if (from >= 0 && from + into.length <= bytes.length) {
        bytes.copy(into, 0, from, from + into.length);
        return;
      }
    }
    readFully(this.fd, into, position);
  }

  close(): void {
    if (this.closed) return;
    this.closed = true;
    this.resident = [];
    if (!this.loading) closeSync(this.fd);
  }
}

function readFully(fd: number, into: Buffer, position: number): void {
  for (let off = 0; off < into.length;) {
    const n = readSync(fd, into, off, into.length - off, position + off);
    if (n === 0) throw new Error('vector file is shorter than its sidecar says');
    off += n;
  }
}
