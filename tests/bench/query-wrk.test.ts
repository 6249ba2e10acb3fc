import { createServer, type Server } from 'node:http';
import type { AddressInfo } from 'node:net';
import { parseWrkOutput, runWrk, wrkAvailable, wrkScript } from '../../bench/query-wrk';

describe('wrk load script', () => {
  it('quotes bodies and headers as Lua long strings that their text cannot close', () => {
    const script = wrkScript({
      url: 'http://127.0.0.1:1',
      connections: 1,
      durationS: 1,
      bodies: ['{"query":"a]]b"}'],
      headers: { authorization: 'Bearer akosha_x' },
      expect: '"partial":false',
    });
    expect(script).toContain('[=[{"query":"a]]b"}]=]');
    expect(script).toContain('[ [[authorization]] ] = [[Bearer akosha_x]]');
    expect(script).toContain('local method = [[POST]]');
  });

  it('reads the summary line that the script prints', () => {
    const line =
      'WRK_JSON {"requests":110,"duration_us":2000000,"errors":1,"timeouts":2,"non2xx":7,"mismatches":3,"p50_us":1500,"p99_us":9000}';
    expect(parseWrkOutput(`Running 2s test\n${line}\n`)).toEqual({
      durationS: 2,
      ok: 100,
      perSecond: 50,
      p50: 1.5,
      p99: 9,
      errors: 1,
      timeouts: 2,
      non2xx: 7,
      mismatches: 3,
    });
  });
});

const withWrk = wrkAvailable() ? describe : describe.skip;

withWrk('wrk against a local server', () => {
  let server: Server;
  let url: string;
  const seen = { bodies: new Set<string>(), first: [] as string[], authorized: 0, requests: 0 };

  beforeAll(async () => {
    server = createServer((req, res) => {
      let body = '';
      req.on('data', (d: Buffer) => (body += d.toString()));
      req.on('end', () => {
        seen.requests++;
        seen.bodies.add(body);
        if (seen.first.length < 2) seen.first.push(body);
        if (req.headers.authorization === 'Bearer t') seen.authorized++;
        const status = body.includes('"refuse"') ? 503 : 200;
        res.writeHead(status, { 'content-type': 'application/json' });
        res.end(body.includes('"stale"') ? '{"partial":true}' : '{"partial":false}');
      });
    });
    await new Promise<void>((resolve) => server.listen(0, '127.0.0.1', resolve));
    url = `http://127.0.0.1:${(server.address() as AddressInfo).port}`;
  });

  afterAll(async () => {
    await new Promise((resolve) => server.close(resolve));
  });

  it('rotates the bodies, sends the headers, and counts refusals and mismatches apart', async () => {
    const bodies = ['{"q":"a"}', '{"q":"b"}', '{"q":"refuse"}', '{"q":"stale"}'];
    const { result, serverCpuUs } = await runWrk({
      url,
      connections: 2,
      durationS: 1,
      bodies,
      headers: { authorization: 'Bearer t' },
      expect: '"partial":false',
    });
    expect(seen.bodies).toEqual(new Set(bodies));
    expect(seen.authorized).toBe(seen.requests);
    expect(result.ok).toBeGreaterThan(0);
    expect(result.non2xx).toBeGreaterThan(0);
    expect(result.mismatches).toBeGreaterThan(0);
    // each body a quarter of the requests (wrk may stop with a few in flight)
    expect(Math.abs(result.non2xx - result.ok / 2)).toBeLessThan(result.ok / 4 + 10);
    expect(serverCpuUs).toBeGreaterThan(0);
  });

  it('continues a rotation where it is told to start', async () => {
    seen.first = [];
    const bodies = ['{"q":"0"}', '{"q":"1"}', '{"q":"2"}', '{"q":"3"}'];
    await runWrk({ url, connections: 1, durationS: 1, bodies, startAt: 6 });
    // 6 of 4 bodies: the third first (wrk may ask its script once before the first request)
    expect([bodies[2], bodies[3]]).toContain(seen.first[0]);
    const next = bodies[(bodies.indexOf(seen.first[0]!) + 1) % bodies.length];
    expect(seen.first[1]).toBe(next);
  });
});
