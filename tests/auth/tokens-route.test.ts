import { mkdtempSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import Fastify from 'fastify';
import { createToken, hashToken } from '../../auth/token-store';
import { registerTokenRoutes } from '../../api/routes/tokens';

describe('GET /api/v1/tokens', () => {
  let dir: string;
  beforeEach(() => (dir = mkdtempSync(join(tmpdir(), 'akosha-token-route-'))));
  afterEach(() => rmSync(dir, { recursive: true, force: true }));

  /** A real listener on an ephemeral port, as the service serves it. */
  async function get(tokensFile: string | undefined) {
    const app = Fastify();
    registerTokenRoutes(app, { tokensFile });
    try {
      const address = await app.listen({ host: '127.0.0.1', port: 0 });
      const res = await fetch(`${address}/api/v1/tokens`);
      const body = await res.text();
      return { statusCode: res.status, body, json: () => JSON.parse(body) as unknown };
    } finally {
      await app.close();
    }
  }

  it('lists names, roles, systems and creation times, never a token or hash', async () => {
    const file = join(dir, 'tokens.json');
    const { token } = createToken(file, { name: 'ops', role: 'admin', systems: '*' });
    createToken(file, { name: 'sb-1', role: 'writer', systems: ['alpha'] });
    const res = await get(file);
    expect(res.statusCode).toBe(200);
    expect(res.json()).toEqual({
      tokens: [
        { name: 'ops', role: 'admin', systems: '*', created_at: expect.any(String) },
        { name: 'sb-1', role: 'writer', systems: ['alpha'], created_at: expect.any(String) },
      ],
    });
    expect(res.body).not.toContain(token);
    expect(res.body).not.toContain(hashToken(token));
  });

  it('an unreadable file is a 503 with a request id, not its path or reason', async () => {
    const file = join(dir, 'tokens.json');
    writeFileSync(file, 'not json');
    const res = await get(file);
    expect(res.statusCode).toBe(503);
    expect(res.json()).toEqual({ error: 'token_file_unreadable', request_id: expect.any(String) });
    expect(res.body).not.toContain(dir);
  });

  it('no file at all lists nothing', async () => {
    expect((await get(join(dir, 'absent.json'))).json()).toEqual({ tokens: [] });
  });
});
