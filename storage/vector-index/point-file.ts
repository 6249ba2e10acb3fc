import { closeSync, openSync, readSync } from 'node:fs';

/**
 * The vectors and extras of a saved sidecar, read in place (pread) instead of held in memory:
 * a search reads only its candidates' rows, which the page cache keeps warm. The file is
 * never written after its save, so rows stay valid while it is open, also once a newer save
 * has replaced its name.
 */
export class PointFile {
  private readonly rowBytes: number;
  private closed = false;

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

  /** Reads `count` consecutive rows' vectors from `row` into `out` (count × dimensions). */
  readVectors(row: number, count: number, out: Float32Array): void {
    const bytes = count * this.rowBytes;
    const into = Buffer.from(out.buffer, out.byteOffset, bytes);
    readFully(this.fd, into, this.vectorsAt + row * this.rowBytes);
  }

  extraLength(row: number): number {
    return this.extraBytes[row]!;
  }

  /** The row's extra bytes; undefined when it has none. */
  readExtra(row: number): Buffer | undefined {
    const n = this.extraBytes[row]!;
    if (n === 0) return undefined;
    const out = Buffer.allocUnsafe(n);
    readFully(this.fd, out, this.extraAt[row]!);
    return out;
  }

  close(): void {
    if (this.closed) return;
    this.closed = true;
    closeSync(this.fd);
  }
}

function readFully(fd: number, into: Buffer, position: number): void {
  for (let off = 0; off < into.length;) {
    const n = readSync(fd, into, off, into.length - off, position + off);
    if (n === 0) throw new Error('vector file is shorter than its sidecar says');
    off += n;
  }
}
