import type { IncomingHttpHeaders } from 'node:http';
import { Agent, request } from 'node:https';

/** The part of `fetch`'s options the MCP transport uses. */
interface PostInit {
  method?: string;
  headers?: Record<string, string>;
  body?: string;
  signal?: AbortSignal;
}

/**
 * A `fetch` for https URLs that trusts only `ca` (PEM): node:https with an
 * agent of its own, certificate checks on. The global fetch has no per-call CA option;
 * NODE_EXTRA_CA_CERTS would trust the CA process-wide instead. Plain http URLs go to the
 * global fetch. Replies are read whole (the MCP transport reads them whole anyway).
 */
export function fetchTrustingCa(ca: Buffer): typeof fetch {
  const agent = new Agent({ ca, keepAlive: true });
  const fetchWithCa = (input: string | URL, init: PostInit = {}): Promise<Response> => {
    const url = new URL(String(input));
    if (url.protocol !== 'https:') return fetch(url, init);
    return new Promise((resolve, reject) => {
      const req = request(
        url,
        {
          method: init.method ?? 'GET',
          headers: init.headers ?? {},
          agent,
          ...(init.signal && { signal: init.signal }),
        },
        (res) => {
          const chunks: Buffer[] = [];
          res.on('data', (chunk: Buffer) => chunks.push(chunk));
          res.on('error', reject);
          res.on('close', () => {
            if (!res.complete) reject(new Error('connection closed before the reply was complete'));
          });
          res.on('end', () => {
            const status = res.statusCode ?? 502;
            const body = [204, 205, 304].includes(status) ? null : Buffer.concat(chunks);
            resolve(new Response(body, { status, headers: headersOf(res.headers) }));
          });
        },
      );
      req.on('error', reject);
      req.end(init.body);
    });
  };
  return fetchWithCa as typeof fetch;
}

function headersOf(incoming: IncomingHttpHeaders): Headers {
  const headers = new Headers();
  for (const [name, value] of Object.entries(incoming)) {
    if (value === undefined) continue;
    for (const one of Array.isArray(value) ? value : [value]) headers.append(name, one);
  }
  return headers;
}
