import { readFile } from 'node:fs/promises';
import { join } from 'node:path';
import { PACKAGE_ROOT } from '../../infra';

/**
 * The operator console's files: a fixed list, read from `console/` at the package root (the
 * checkout when tests run the source, the installed package beside dist/ in production).
 * A name not listed here is never read, whatever the request asks for.
 */
export const CONSOLE_DIR = join(PACKAGE_ROOT, 'console');

const TYPES = {
  html: 'text/html; charset=utf-8',
  css: 'text/css; charset=utf-8',
  js: 'text/javascript; charset=utf-8',
  svg: 'image/svg+xml',
} as const;

/** Served at `/console`. */
export const CONSOLE_PAGE = 'index.html';

/** Served at `/console/<name>`: the page's stylesheet, scripts (ES modules) and icon. */
export const CONSOLE_ASSETS: readonly string[] = [
  'console.css',
  'favicon.svg',
  'app.js',
  'api.js',
  'dom.js',
  'format.js',
  'charts.js',
  'streams.js',
  'dlq.js',
  'dialogs.js',
  'storage.js',
  'writers.js',
  'search.js',
];

export interface Asset {
  body: Buffer;
  contentType: string;
}

const ALLOWED: ReadonlySet<string> = new Set(CONSOLE_ASSETS);

/**
 * Serves the page's headers: nothing but this origin's own files may load or run (no inline
 * script or style, no frames, no form posts), and DOM sinks take no strings (Trusted Types).
 */
export const CONSOLE_HEADERS: Readonly<Record<string, string>> = {
  'content-security-policy': [
    "default-src 'self'",
    "script-src 'self'",
    "style-src 'self'",
    "img-src 'self'",
    "connect-src 'self'",
    "object-src 'none'",
    "base-uri 'none'",
    "form-action 'none'",
    "frame-ancestors 'none'",
    "require-trusted-types-for 'script'",
    "trusted-types 'none'",
  ].join('; '),
  'x-content-type-options': 'nosniff',
  'x-frame-options': 'DENY',
  'referrer-policy': 'no-referrer',
  'cross-origin-opener-policy': 'same-origin',
  'cross-origin-resource-policy': 'same-origin',
  'cache-control': 'no-cache',
};

/** Reads each listed file once. */
export class ConsoleAssets {
  private readonly cache = new Map<string, Promise<Asset>>();

  constructor(private readonly dir = CONSOLE_DIR) {}

  page(): Promise<Asset> {
    return this.load(CONSOLE_PAGE);
  }

  /** `undefined` for a name not on the list: it is never read. */
  asset(name: string): Promise<Asset> | undefined {
    return ALLOWED.has(name) ? this.load(name) : undefined;
  }

  private load(name: string): Promise<Asset> {
    let asset = this.cache.get(name);
    if (!asset) {
      asset = this.read(name);
      this.cache.set(name, asset);
      asset.catch(() => this.cache.delete(name)); // a later request tries again
    }
    return asset;
  }

  private async read(name: string): Promise<Asset> {
    const ext = name.slice(name.lastIndexOf('.') + 1) as keyof typeof TYPES;
    return { body: await readFile(join(this.dir, name)), contentType: TYPES[ext] };
  }
}
