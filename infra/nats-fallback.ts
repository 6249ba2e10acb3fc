import { isLoopbackHost } from './cidr';

/** Every host of a NATS URL list (`nats://a:4222,tls://b:4222`). */
function natsHosts(urls: string): string[] {
  return urls
    .split(',')
    .map((u) => u.trim())
    .filter((u) => u !== '')
    .map((u) => new URL(/^[a-z]+:\/\//i.test(u) ? u : `nats://${u}`).hostname);
}

/**
 * AKOSHA_START_NATS=auto starts a private nats-server only in place of a loopback one: a node that
 * cannot reach its cluster must fail, not ingest into a JetStream nobody else reads.
 */
export function refuseRemoteNatsFallback(url: string, cause: unknown): void {
  const remote = natsHosts(url).filter((host) => !isLoopbackHost(host));
  if (remote.length === 0) return;
  const reason = cause instanceof Error ? cause.message : String(cause);
  throw new Error(
    `no NATS server answers at ${remote.join(', ')} (${reason}). AKOSHA_START_NATS=auto starts ` +
      'a local nats-server only in place of a loopback AKOSHA_NATS_URL: check that the cluster ' +
      'is reachable.',
  );
}
