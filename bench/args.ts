/** `--name value` options of a benchmark script (after `npm run <script> --`). */
export function option(name: string): string | undefined {
  const i = process.argv.indexOf(`--${name}`);
  return i >= 0 ? process.argv[i + 1] : undefined;
}

export function numberOption(name: string, dflt: number): number {
  const v = option(name);
  const n = v === undefined ? dflt : Number(v);
  if (!Number.isFinite(n) || n < 0) throw new Error(`--${name} must be a non-negative number`);
  return n;
}

export function choiceOption<T extends string>(name: string, choices: readonly T[], dflt: T): T {
  const v = option(name) ?? dflt;
  if (!choices.includes(v as T)) throw new Error(`--${name} must be one of ${choices.join(', ')}`);
  return v as T;
}
