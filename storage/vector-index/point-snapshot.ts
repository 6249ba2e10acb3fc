import type { PointFile } from './point-file';

/** The points as the sidecar stores them: one entry per row, in row order. */
export interface PointColumns {
  keys: BigUint64Array;
  ids: string[];
  /** the strings that `system`, `kind`, `project` and `tier` refer to by number */
  strings: string[];
  system: Uint32Array;
  kind: Uint32Array;
  /** NULL_REF (point-store.ts): a null project */
  project: Uint32Array;
  tier: Uint32Array;
  /** epoch ms */
  times: Float64Array;
  shard: Int32Array;
  /** length of each row's extra (0: none) */
  extraBytes: Uint32Array;
}

/** Where each row of a snapshot came from, so that a completed save can re-point it. */
export interface SnapshotOrigin {
  slots: Int32Array;
  gens: Uint32Array;
  /** row in `file`; -1: in memory (memVectors / memExtras by slot) */
  fileRows: Int32Array;
  file: PointFile | undefined;
  /**
   * The store's own maps, by slot, not copies: no change runs while a save reads them, and
   * copying 100,000 entries held the event loop for tens of milliseconds.
   */
  memVectors: ReadonlyMap<number, Float32Array>;
  memExtras: ReadonlyMap<number, Buffer>;
}

/**
 * The live points at one moment (the tick of the graph's native save), for the sidecar. Its
 * vectors and extras are read while the sidecar is written: from memory, or from the file of
 * the previous save, which stays open and unchanged until this save completes.
 */
export class PointSnapshot {
  constructor(
    readonly dimensions: number,
    readonly columns: PointColumns,
    readonly origin: SnapshotOrigin,
  ) {}

  get count(): number {
    return this.columns.keys.length;
  }

  /** Rows [start, start + count) into `out` (count × dimensions). */
  readVectors(start: number, count: number, out: Float32Array): void {
    const { slots, fileRows, file, memVectors } = this.origin;
    const d = this.dimensions;
    for (let i = start; i < start + count;) {
      if (fileRows[i]! < 0) {
        out.set(memVectors.get(slots[i]!)!, (i - start) * d);
        i++;
        continue;
      }
      let j = i + 1;
      while (j < start + count && fileRows[j] === fileRows[j - 1]! + 1) j++;
      file!.readVectors(fileRows[i]!, j - i, out.subarray((i - start) * d, (j - start) * d));
      i = j;
    }
  }

  extra(row: number): Buffer | undefined {
    const { slots, fileRows, file, memExtras } = this.origin;
    const fileRow = fileRows[row]!;
    return fileRow < 0 ? memExtras.get(slots[row]!) : file!.readExtra(fileRow);
  }
}
