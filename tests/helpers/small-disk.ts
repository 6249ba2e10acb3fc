import { execFileSync } from 'node:child_process';
import { mkdtempSync, rmSync, statfsSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';

/** A real filesystem of a few MiB (tmpfs, needs root), so that a disk really fills up. */
export function mountSmallDisk(sizeMb: number): string {
  const dir = mkdtempSync(join(tmpdir(), 'akosha-small-disk-'));
  execFileSync('mount', ['-t', 'tmpfs', '-o', `size=${sizeMb}m`, 'tmpfs', dir]);
  return dir;
}

export function unmountSmallDisk(dir: string): void {
  execFileSync('umount', ['-l', dir]);
  rmSync(dir, { recursive: true, force: true });
}

/** Fills the filesystem but for `leaveBytes`; returns the filler's path (remove it to free). */
export function fillDisk(dir: string, leaveBytes: number): string {
  const { bavail, bsize } = statfsSync(dir);
  const filler = join(dir, 'filler');
  writeFileSync(filler, Buffer.alloc(Math.max(0, bavail * bsize - leaveBytes)));
  return filler;
}
