import { existsSync, statSync } from 'node:fs';

/** Bytes on disk of DuckDB files and their write-ahead logs; missing files count 0. */
export function duckdbFilesBytes(files: string[]): number {
  return files
    .flatMap((file) => [file, `${file}.wal`])
    .reduce((sum, file) => sum + (existsSync(file) ? statSync(file).size : 0), 0);
}
