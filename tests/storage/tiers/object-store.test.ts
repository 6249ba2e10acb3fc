import { mkdtempSync, rmSync } from 'node:fs';
import { open, readFile } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import { join, relative } from 'node:path';
import { nodeFs, type DurableFs } from '../../../storage/tiers/durable-file';
import { LocalObjectStore } from '../../../storage/tiers/object-store';

/** The real file system, with every write, fsync and rename recorded in order. */
function recordingFs(root: string, calls: string[]): DurableFs {
  const rel = (p: unknown) => relative(root, String(p)) || '.';
  const recordingOpen = (async (path: string, flags?: string) => {
    const handle = await open(path, flags);
    const { sync, writeFile } = handle;
    handle.sync = async () => {
      await sync.call(handle);
      calls.push(`fsync ${rel(path)}`);
    };
    handle.writeFile = async (data: Parameters<typeof writeFile>[0]) => {
      await writeFile.call(handle, data);
      calls.push(`write ${rel(path)}`);
    };
    return handle;
  }) as DurableFs['open'];
  return {
    ...nodeFs,
    open: recordingOpen,
    rename: async (from, to) => {
      await nodeFs.rename(from, to);
      calls.push(`rename ${rel(from)} ${rel(to)}`);
    },
  };
}

describe('LocalObjectStore', () => {
  let root: string;
  beforeEach(() => {
    root = mkdtempSync(join(tmpdir(), 'akosha-objects-'));
  });
  afterEach(() => rmSync(root, { recursive: true, force: true }));

  it('fsyncs each file before its rename, and each directory after names change in it', async () => {
    const calls: string[] = [];
    const store = new LocalObjectStore(join(root, 'cold'), recordingFs(root, calls));
    const body = Buffer.alloc(3 * 1024 * 1024, 7);
    await store.put('conversations/s1/a.parquet', body, { sha256: 'abc' });

    expect(calls).toEqual([
      // new directories: each one's entry made durable in its parent
      'fsync cold/conversations',
      'fsync cold',
      'fsync .',
      'write cold/conversations/s1/a.parquet.meta.json.tmp',
      'fsync cold/conversations/s1/a.parquet.meta.json.tmp',
      'write cold/conversations/s1/a.parquet.tmp',
      'fsync cold/conversations/s1/a.parquet.tmp',
      'rename cold/conversations/s1/a.parquet.meta.json.tmp cold/conversations/s1/a.parquet.meta.json',
      'rename cold/conversations/s1/a.parquet.tmp cold/conversations/s1/a.parquet',
      'fsync cold/conversations/s1',
    ]);
    const stored = await readFile(join(root, 'cold', 'conversations', 's1', 'a.parquet'));
    expect(stored.equals(body)).toBe(true);
    const got = await store.get('conversations/s1/a.parquet');
    expect(got?.body.equals(body)).toBe(true);
    expect(got?.metadata).toEqual({ sha256: 'abc' });

    calls.length = 0;
    await store.put('conversations/s1/b.parquet', Buffer.from('x'), {});
    expect(calls.filter((c) => c.startsWith('fsync'))).toEqual([
      'fsync cold/conversations/s1/b.parquet.meta.json.tmp',
      'fsync cold/conversations/s1/b.parquet.tmp',
      'fsync cold/conversations/s1',
    ]);
    expect(await store.list('conversations/')).toEqual([
      'conversations/s1/a.parquet',
      'conversations/s1/b.parquet',
    ]);
  });
});
