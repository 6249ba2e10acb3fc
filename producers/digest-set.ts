/**
 * What an earlier import of the same system already published, as short hashes of
 * "id + content": a whole-database re-upload publishes only what is not in it.
 * Implemented by producers/record-digest.ts; persisted per system by cloud/digest-store.ts.
 */
export interface DigestSet {
  has(key: string): boolean;
  add(key: string): void;
  readonly size: number;
}
