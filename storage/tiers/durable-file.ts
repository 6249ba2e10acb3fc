import { mkdir, open, rename } from 'node:fs/promises';
import { dirname, resolve } from 'node:path';

/** The file-system calls a durable write makes; a test passes a recording wrapper. */
export interface DurableFs {
  open: typeof open;
  rename: typeof rename;
  mkdir: typeof mkdir;
}

export const nodeFs: DurableFs = { open, rename, mkdir };

/** Writes and fsyncs `path`, so that a rename after it never exposes a short or empty file. */
export async function writeSynced(fs: DurableFs, path: string, data: Buffer | string) {
  const file = await fs.open(path, 'w');
  try {
    await file.writeFile(data);
    await file.sync();
  } finally {
    await file.close();
  }
}

/** An fsync of a directory makes the names created or renamed in it survive a power loss. */
export async function syncDir(fs: DurableFs, dir: string): Promise<void> {
  const handle = await fs.open(dir, 'r');
  try {
    await handle.sync();
  } finally {
    await handle.close();
  }
}

/** mkdir -p whose new directories are each made durable in their parent. */
export async function mkdirSynced(fs: DurableFs, dir: string): Promise<void> {
  const created = await fs.mkdir(dir, { recursive: true });
  if (created === undefined) return;
  const first = resolve(created);
  for (let d = resolve(dir); d !== dirname(d); d = dirname(d)) {
    await syncDir(fs, dirname(d));
    if (d === first) return;
  }
}
