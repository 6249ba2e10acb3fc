import { KeySlots } from '../../../storage/vector-index/key-slots';
import { usearchKeyOf } from '../../../storage/vector-index/keys';

describe('usearch key → slot table', () => {
  const key = (i: number) => usearchKeyOf({ system_id: 'keys-host', id: `r${i}` });

  it('finds what was set through growth, removals and reuse, as a Map would', () => {
    const table = new KeySlots();
    const map = new Map<bigint, number>();
    for (let i = 0; i < 5000; i++) {
      table.set(key(i), i);
      map.set(key(i), i);
      if (i % 3 === 0) {
        const gone = key(Math.floor(i / 2));
        expect(table.delete(gone)).toBe(map.delete(gone));
      }
      if (i % 7 === 0) {
        table.set(key(i), i + 1); // replaced in place
        map.set(key(i), i + 1);
      }
    }
    expect(table.size).toBe(map.size);
    for (let i = 0; i < 5200; i++) expect(table.get(key(i))).toBe(map.get(key(i)));
    expect(new Map(table.entries())).toEqual(map);
    expect(table.delete(key(99_999))).toBe(false);
  });

  it('takes keys by their two 32-bit halves (how a saved file is loaded)', () => {
    const keys = BigUint64Array.from([key(1), key(2), 0xfffffffffffffffen]);
    const halves = new Uint32Array(keys.buffer);
    const table = new KeySlots(keys.length);
    keys.forEach((_, slot) => table.setHalves(halves[2 * slot]!, halves[2 * slot + 1]!, slot));
    expect([...keys].map((k) => table.get(k))).toEqual([0, 1, 2]);
  });
});
