import { readFileSync } from 'node:fs';
import { request } from 'node:https';

export interface HttpsRequestOptions {
  method?: string;
  headers?: Record<string, string>;
  body?: string;
  /** PEM file of the CA to trust; absent: the system's CAs only */
  ca?: string;
  /** client certificate and key (PEM files) for mutual TLS */
  cert?: string;
  key?: string;
}

/** One https request with certificate checks on; rejects with the TLS or socket error. */
export function httpsRequest(
  url: string,
  opts: HttpsRequestOptions = {},
): Promise<{ status: number; headers: Record<string, unknown>; body: string }> {
  const read = (path?: string) => (path ? readFileSync(path) : undefined);
  return new Promise((resolve, reject) => {
    const req = request(
      url,
      {
        method: opts.method ?? 'GET',
        headers: opts.headers ?? {},
        ...(opts.ca && { ca: read(opts.ca) }),
        ...(opts.cert && { cert: read(opts.cert), key: read(opts.key) }),
        agent: false, // a fresh handshake per request, so each one tests the certificates
      },
      (res) => {
        const chunks: Buffer[] = [];
        res.on('data', (c: Buffer) => chunks.push(c));
        res.on('error', reject);
        res.on('end', () =>
          resolve({
            status: res.statusCode ?? 0,
            headers: res.headers,
            body: Buffer.concat(chunks).toString('utf8'),
          }),
        );
      },
    );
    req.on('error', reject);
    req.end(opts.body);
  });
}
