const EMPTY = -1;
const REMOVED = -2;

/**
 * usearch key → slot, as an open-addressing table over typed arrays: a Map keyed by BigInt
 * takes ~2 s to fill with 1M keys and ~1.4 µs a lookup; this takes a few milliseconds and
 * ~24 bytes a key. Keys are sha256-derived, so their low 32 bits spread well as they are.
 */
export class KeySlots {
  private lo = new Uint32Array(0);
  private hi = new Uint32Array(0);
  private slots = new Int32Array(0);
  private mask = -1;
  /** live keys */
  size = 0;
  /** live and removed entries (the probe chains) */
  private taken = 0;
  private readonly k64 = new BigUint64Array(1);
  private readonly k32 = new Uint32Array(this.k64.buffer);

  constructor(expected = 0) {
    this.resize(tableSize(expected));
  }

  get(key: bigint): number | undefined {
    const at = this.find(key);
    return at < 0 ? undefined : this.slots[at];
  }

  has(key: bigint): boolean {
    return this.find(key) >= 0;
  }

  set(key: bigint, slot: number): void {
    this.k64[0] = key;
    this.setHalves(this.k32[0]!, this.k32[1]!, slot);
  }

  /** `lo`, `hi`: the key's low and high 32 bits. */
  setHalves(lo: number, hi: number, slot: number): void {
    if ((this.taken + 1) * 2 > this.slots.length) this.resize(tableSize(this.size + 1));
    let at = lo & this.mask;
    let reuse = -1;
    for (;;) {
      const s = this.slots[at]!;
      if (s === EMPTY) break;
      if (s === REMOVED) {
        if (reuse < 0) reuse = at;
      } else if (this.lo[at] === lo && this.hi[at] === hi) {
        this.slots[at] = slot;
        return;
      }
      at = (at + 1) & this.mask;
    }
    if (reuse >= 0) at = reuse;
    else this.taken++;
    this.lo[at] = lo;
    this.hi[at] = hi;
    this.slots[at] = slot;
    this.size++;
  }

  delete(key: bigint): boolean {
    const at = this.find(key);
    if (at < 0) return false;
    this.slots[at] = REMOVED;
    this.size--;
    return true;
  }

  /** Every live key with its slot. */
  *entries(): IterableIterator<[bigint, number]> {
    for (let at = 0; at < this.slots.length; at++) {
      const slot = this.slots[at]!;
      if (slot < 0) continue;
      this.k32[0] = this.lo[at]!;
      this.k32[1] = this.hi[at]!;
      yield [this.k64[0]!, slot];
    }
  }

  private find(key: bigint): number {
    this.k64[0] = key;
    const lo = this.k32[0]!;
    const hi = this.k32[1]!;
    let at = lo & this.mask;
    for (;;) {
      const s = this.slots[at]!;
      if (s === EMPTY) return -1;
      if (s !== REMOVED && this.lo[at] === lo && this.hi[at] === hi) return at;
      at = (at + 1) & this.mask;
    }
  }

  private resize(capacity: number): void {
    const { lo, hi, slots } = this;
    this.lo = new Uint32Array(capacity);
    this.hi = new Uint32Array(capacity);
    this.slots = new Int32Array(capacity).fill(EMPTY);
    this.mask = capacity - 1;
    this.size = 0;
    this.taken = 0;
    for (let at = 0; at < slots.length; at++)
      if (slots[at]! >= 0) this.setHalves(lo[at]!, hi[at]!, slots[at]!);
  }
}

/** A power of two with room for `keys` at most half full. */
function tableSize(keys: number): number {
  let n = 16;
  while (n < keys * 2) n *= 2;
  return n;
}
