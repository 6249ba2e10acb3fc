import { closeSync, openSync, read, readSync } from 'node:fs';
import { promisify } from 'node:util';

const readAt = promisify(read);

/** bytes per read while the resident prefix loads */
const LOAD_CHUNK = 8 * 2 ** 20;

/**
 * The vectors and extras of a saved sidecar, read in place (pread) instead of held in memory:
 * a search reads only its candidates' rows, which the page cache keeps warm. The file is
 * never written after its save, so rows stay valid while it is open, also once a newer save
 * has replaced its name.
 *
 * A prefix of the rows (vectors first, then extras) can be held in memory up to a byte budget
 * (`loadResident`): each pread is a system call of several µs and a search makes about 30 of
 * them, so rows inside the prefix are copied from memory instead. Memory stays bounded by the
 * budget, not by the rows.
 */
export class PointFile {
  private readonly rowBytes: number;
  private closed = false;
  /** bytes [vectorsAt, vectorsAt + resident.length) of the file, once loaded */
  private resident: Buffer | undefined;
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
   * Reads up to `budgetBytes` of the rows region into memory off the event loop; reads keep
   * going to the file until it is done. Returns the bytes held; never rejects: a failed load
   * only leaves the reads on the file.
   */
  async loadResident(budgetBytes: number): Promise<number> {
    const end = this.extrasEnd();
    const bytes = Math.min(Math.max(0, Math.floor(budgetBytes)), end - this.vectorsAt);
    if (bytes === 0 || this.closed || this.loading) return 0;
    this.loading = true;
    try {
      const buf = Buffer.allocUnsafeSlow(bytes);
      for (let off = 0; off < bytes && !this.closed;) {
        const length = Math.min(LOAD_CHUNK, bytes - off);
        const { bytesRead } = await readAt(this.fd, buf, off, length, this.vectorsAt + off);
        if (bytesRead === 0) return 0;
        off += bytesRead;
      }
      if (this.closed) return 0;
      this.resident = buf;
      return bytes;
    } catch {
      return 0;
    } finally {
      this.loading = false;
      if (this.closed) closeSync(this.fd);
    }
  }

  /** Bytes of the rows region held in memory (0 until `loadResident` is done). */
  get residentBytes(): number {
    return this.resident?.length ?? 0;
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

  /** Fills `into` from `position`: from the resident prefix when it holds those bytes. */
  private read(into: Buffer, position: number): void {
    const from = position - this.vectorsAt;
    if (this.resident && from >= 0 && from + into.length <= this.resident.length) {
      this.resident.copy(into, 0, from, from + into.length);
      return;
    }
    readFully(this.fd, into, position);
  }

  close(): void {
    if (this.closed) return;
    this.closed = true;
    this.resident = undefined;
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
