import { join, resolve } from 'node:path';

/**
 * Where files that are loaded by path live. Production runs the compiled
 * JavaScript under dist/; tests and development run the TypeScript source
 * through swc or tsx. Code that starts a worker thread or reads a file of the
 * checkout must find the right one in both cases.
 */

/** True when this module is dist/infra/entry-files.js, false when it is the .ts source. */
export const RUNNING_COMPILED = __filename.endsWith('.js');

/** The checkout (or installed package) root: dist/ sits one level below it. */
export const PACKAGE_ROOT = resolve(__dirname, '..', RUNNING_COMPILED ? '..' : '.');

/**
 * Code for `new Worker(code, { eval: true })` that loads `<dir>/<baseName>`:
 * the compiled .js, or the .ts source through tsx's require hook, which worker
 * threads do not inherit from their parent.
 */
export function workerThreadCode(dir: string, baseName: string): string {
  if (RUNNING_COMPILED) return `require(${JSON.stringify(join(dir, `${baseName}.js`))});`;
  const tsx = require.resolve('tsx/cjs');
  const entry = join(dir, `${baseName}.ts`);
  return `require(${JSON.stringify(tsx)}); require(${JSON.stringify(entry)});`;
}
