import { existsSync, readdirSync, statSync } from 'node:fs';

/** Bytes on disk of DuckDB files and their write-ahead logs; missing files count 0. */
export function duckdbFilesBytes(files: string[]): number {
  return files
    .flatMap((file) => [file, `${file}.wal`])
    .reduce((sum, file) => sum + (existsSync(file) ? statSync(file).size : 0), 0);
}

/** The numbers of the files in dir whose names match pattern (its first group: the number). */
export function numberedFiles(dir: string, pattern: RegExp): number[] {
  if (!existsSync(dir)) return [];
  return readdirSync(dir)
    .map((f) => pattern.exec(f)?.[1])
    .filter((n): n is string => n !== undefined)
    .map(Number);
}
