import { mkdtempSync, readdirSync, readFileSync, rmSync } from 'node:fs';
import { request, type IncomingHttpHeaders } from 'node:http';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import Fastify, { type FastifyInstance } from 'fastify';
import type { Authenticator } from '../../../auth';
import {
  CONSOLE_ASSETS,
  CONSOLE_DIR,
  CONSOLE_HEADERS,
  ConsoleAssets,
} from '../../../api/console/assets';
import { registerAuthGuard } from '../../../api/auth-guard';
import { registerConsoleRoutes } from '../../../api/routes/console';
import { registerWhoAmIRoute } from '../../../api/routes/whoami';

interface Served {
  status: number;
  headers: IncomingHttpHeaders;
  body: Buffer;
  text: string;
}

/** The console's routes behind the guard (nothing configured: loopback callers are admins). */
async function consoleApp(
  opts: { assets?: ConsoleAssets; authenticator?: Authenticator } = {},
): Promise<{ app: FastifyInstance; get: (path: string) => Promise<Served> }> {
  const app = Fastify();
  registerAuthGuard(app, { authenticator: opts.authenticator });
  registerConsoleRoutes(app, opts.assets);
  registerWhoAmIRoute(app);
  const address = new URL(await app.listen({ host: '127.0.0.1', port: 0 }));
  // node:http sends the path exactly as written: no dot segments resolved, no re-encoding
  const get = (path: string) =>
    new Promise<Served>((resolve, reject) => {
      const req = request({ host: address.hostname, port: address.port, path }, (res) => {
        const chunks: Buffer[] = [];
        res.on('data', (c: Buffer) => chunks.push(c));
        res.on('end', () => {
          const body = Buffer.concat(chunks);
          resolve({ status: res.statusCode!, headers: res.headers, body, text: body.toString() });
        });
      });
      req.on('error', reject).end();
    });
  return { app, get };
}

/** Authentication configured, and this caller has no credential. */
const NOBODY: Authenticator = {
  enforcing: true,
  authenticate: async () => ({ ok: false, reason: 'missing' }),
  close: () => undefined,
};

const TYPES: Record<string, string> = {
  css: 'text/css; charset=utf-8',
  js: 'text/javascript; charset=utf-8',
  svg: 'image/svg+xml',
};

describe('the console files', () => {
  let app: FastifyInstance;
  let get: (path: string) => Promise<Served>;
  beforeAll(async () => {
    ({ app, get } = await consoleApp());
  });
  afterAll(() => app.close());

  it('serves the page at /console with a strict Content-Security-Policy', async () => {
    const res = await get('/console');
    expect(res.status).toBe(200);
    expect(res.headers['content-type']).toBe('text/html; charset=utf-8');
    expect(res.text).toBe(readFileSync(join(CONSOLE_DIR, 'index.html'), 'utf8'));
    const csp = String(res.headers['content-security-policy']);
    expect(csp).toContain("default-src 'self'");
    expect(csp).toContain("script-src 'self'");
    expect(csp).not.toContain('unsafe');
    expect(res.headers).toMatchObject({
      'x-content-type-options': 'nosniff',
      'x-frame-options': 'DENY',
      'referrer-policy': 'no-referrer',
    });
    // no inline script or style in the page: the policy would block them
    expect(res.text).not.toMatch(/<script(?![^>]*\bsrc=)[^>]*>/);
    expect(res.text).not.toMatch(/\sstyle=|<style/);
    expect((await get('/console/')).headers.location).toBe('/console');
  });

  it.each(CONSOLE_ASSETS)('serves %s with its content type and the same headers', async (name) => {
    const res = await get(`/console/${name}`);
    expect(res.status).toBe(200);
    expect(res.headers['content-type']).toBe(TYPES[name.split('.').pop()!]);
    expect(res.body.equals(readFileSync(join(CONSOLE_DIR, name)))).toBe(true);
    for (const [header, value] of Object.entries(CONSOLE_HEADERS))
      expect(res.headers[header]).toBe(value);
  });

  it('lists every file of console/ that the page loads, and nothing else', () => {
    const page = readFileSync(join(CONSOLE_DIR, 'index.html'), 'utf8');
    const fromPage = [...page.matchAll(/(?:src|href)="\/console\/([^"]+)"/g)].map((m) => m[1]!);
    const imported = CONSOLE_ASSETS.filter((n) => n.endsWith('.js')).flatMap((n) => {
      const code = readFileSync(join(CONSOLE_DIR, n), 'utf8');
      return [...code.matchAll(/from '\.\/([^']+)'/g)].map((m) => m[1]!);
    });
    for (const name of [...fromPage, ...imported]) expect(CONSOLE_ASSETS).toContain(name);
    const files = readdirSync(CONSOLE_DIR).filter(
      (f) => f !== 'index.html' && f !== 'tsconfig.json',
    );
    expect([...files].sort()).toEqual([...CONSOLE_ASSETS].sort());
  });

  it.each([
    '/console/tsconfig.json',
    '/console/index.html',
    '/console/..%2Fpackage.json',
    '/console/%2e%2e%2fpackage.json',
    '/console/..%5Cpackage.json',
    '/console/%2Fetc%2Fpasswd',
    '/console/app.js%00.css',
    '/console/__proto__',
    '/console/constructor',
    '/console/APP.JS',
    '/console/app.js/',
    '/console/app.js/../../package.json',
  ])('answers 404 for %s, a name not on the list', async (url) => {
    const res = await get(url);
    expect({ url, status: res.status }).toEqual({ url, status: 404 });
    expect(res.text).not.toContain('"name": "akosha"');
  });

  it('tells a trusted loopback caller who it is', async () => {
    const res = await get('/api/v1/whoami');
    expect(JSON.parse(res.text)).toEqual({
      name: 'loopback',
      role: 'admin',
      systems: '*',
      via: 'loopback',
    });
  });

  it('serves the page to anyone (it holds no data), while the API still wants a caller', async () => {
    const guarded = await consoleApp({ authenticator: NOBODY });
    try {
      expect((await guarded.get('/console')).status).toBe(200);
      expect((await guarded.get('/console/app.js')).status).toBe(200);
      expect((await guarded.get('/api/v1/whoami')).status).toBe(401);
    } finally {
      await guarded.app.close();
    }
  });

  it('answers 503 console_unavailable when the files are not installed', async () => {
    const empty = mkdtempSync(join(tmpdir(), 'akosha-console-'));
    const bare = await consoleApp({ assets: new ConsoleAssets(empty) });
    try {
      const res = await bare.get('/console');
      expect(res.status).toBe(503);
      expect(JSON.parse(res.text)).toMatchObject({ error: 'console_unavailable' });
      expect(res.text).not.toContain(empty);
    } finally {
      await bare.app.close();
      rmSync(empty, { recursive: true, force: true });
    }
  });
});
