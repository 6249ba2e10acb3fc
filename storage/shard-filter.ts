/** 53-bit FNV-1a-style hash of a string; collisions only cost an extra lookup. */
function hash53(text: string): number {
  let h1 = 0x811c9dc5;
  let h2 = 0x1b873593;
  for (let i = 0; i < text.length; i++) {
    const c = text.charCodeAt(i);
    h1 = Math.imul(h1 ^ c, 0x01000193);
    h2 = Math.imul(h2 ^ c, 0x5bd1e995);
  }
  return (h2 >>> 0) * 2 ** 21 + ((h1 >>> 0) & 0x1fffff);
}

/**
 * What one shard already holds, as hashes: record keys, content hashes and
 * written chunks. "Not in the filter" is certain, so a fresh record needs no
 * query; "in the filter" is a maybe that the shard's tables settle. Only the
 * shard's single writer fills it, after each commit. (The graph store keeps the records
 * its mentions name in one too: graph/mentioned-records.ts.)
 */
export class ShardFilter {
  private readonly keys = new Set<number>();

  has(key: string): boolean {
    return this.keys.has(hash53(key));
  }

  add(key: string): void {
    this.keys.add(hash53(key));
  }

  get size(): number {
    return this.keys.size;
  }
}
