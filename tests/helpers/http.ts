import type { Readiness } from '../../api/readiness';
/** JSON POST to a running server; a string body goes as it is, so tests can send malformed JSON. */
export const post = (base: string, path: string, body: string | object) =>
  fetch(`${base}${path}`, {
    method: 'POST',
    headers: { 'content-type': 'application/json' },
    body: typeof body === 'string' ? body : JSON.stringify(body),
  });

/** GET a path; the status and the body parsed as JSON. */
export async function getJson<T = unknown>(
  base: string,
  path: string,
): Promise<{ status: number; body: T }> {
  const res = await fetch(`${base}${path}`);
  return { status: res.status, body: (await res.json()) as T };
}

/** The readiness of an API-only process that is up, for servers built by buildHttpServer. */
export const apiReadiness = (natsUrl: string) => (): Readiness => ({
  ready: true,
  consuming: true,
  nats: natsUrl,
  roles: ['api'],
  embedder: 'hashing',
});
