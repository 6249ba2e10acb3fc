import { createServer, type Server } from 'node:http';
import type { AddressInfo } from 'node:net';

/** A JWKS endpoint on an ephemeral loopback port serving whatever keys the test holds now. */
export interface TestJwks {
  url: string;
  /** the served keys: push or splice to rotate */
  keys: object[];
  hits(): number;
  close(): Promise<void>;
}

export async function startJwks(): Promise<TestJwks> {
  const state = { keys: [] as object[], hits: 0 };
  const server: Server = createServer((_req, res) => {
    state.hits += 1;
    res.setHeader('content-type', 'application/json');
    res.end(JSON.stringify({ keys: state.keys }));
  });
  await new Promise<void>((resolve) => server.listen(0, '127.0.0.1', resolve));
  const { port } = server.address() as AddressInfo;
  return {
    url: `http://127.0.0.1:${port}/jwks.json`,
    keys: state.keys,
    hits: () => state.hits,
    close: () => new Promise((resolve) => server.close(() => resolve())),
  };
}
