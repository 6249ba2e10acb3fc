import { open } from 'node:fs/promises';

/**
 * usearch keeps a removed point's slot (a tombstone) until an add reuses it, and saves it.
 * Its Node binding's `load` and `view` then reserve room for `ceil2(live points)` slots and
 * copy every saved slot into that room: a file with more slots than that overruns the heap
 * and aborts the process (`free(): corrupted unsorted chunks`). These helpers tell such a
 * file apart before usearch reads it, and tell a save that it must compact first.
 */

/** The number of slots, removed ones included, that a saved usearch file holds. */
export async function savedSlotCount(path: string): Promise<number> {
  const fh = await open(path, 'r');
  try {
    const head = Buffer.alloc(4);
    const { bytesRead } = await fh.read(head, 0, 4, 0);
    if (bytesRead < 4) throw new Error(`${path} is too short to be a usearch file`);
    return head.readUInt32LE(0); // the vector matrix's row count comes first
  } finally {
    await fh.close();
  }
}

/** Whether the binding can load a file of `slots` slots holding `live` points. */
export function slotsLoadable(slots: number, live: number): boolean {
  return slots <= ceil2(live);
}

function ceil2(n: number): number {
  let p = 1;
  while (p < n) p *= 2;
  return p;
}
