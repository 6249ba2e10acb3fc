import { BlockList, isIP } from 'node:net';

export class CidrError extends Error {
  constructor(entry: string) {
    super(`"${entry}" is not an address or CIDR block (e.g. 10.0.0.0/8, fd00::/8, 192.168.1.7)`);
    this.name = 'CidrError';
  }
}

type Family = 'ipv4' | 'ipv6';

/** `::ffff:10.0.0.1` (how a dual-stack socket reports an IPv4 peer) → `10.0.0.1`. */
export function unmapAddress(address: string): { address: string; family: Family } | null {
  const bare = address.replace(/%.*$/, ''); // zone index (fe80::1%eth0)
  const mapped = /^::ffff:(\d+\.\d+\.\d+\.\d+)$/i.exec(bare);
  const plain = mapped?.[1] ?? bare;
  const version = isIP(plain);
  if (version === 4) return { address: plain, family: 'ipv4' };
  if (version === 6) return { address: plain, family: 'ipv6' };
  return null;
}

/** Matches addresses against a list of networks; invalid entries throw CidrError. */
export class AddressMatcher {
  private readonly list = new BlockList();
  readonly empty: boolean;

  constructor(entries: readonly string[]) {
    for (const entry of entries) this.add(entry.trim());
    this.empty = entries.length === 0;
  }

  matches(remoteAddress: string): boolean {
    if (this.empty) return false;
    const peer = unmapAddress(remoteAddress);
    if (!peer) return false;
    return this.list.check(peer.address, peer.family);
  }

  private add(entry: string): void {
    const [addressPart = '', prefixPart, extra] = entry.split('/');
    const parsed = unmapAddress(addressPart);
    if (!parsed || extra !== undefined) throw new CidrError(entry);
    if (prefixPart === undefined) {
      this.list.addAddress(parsed.address, parsed.family);
      return;
    }
    const max = parsed.family === 'ipv4' ? 32 : 128;
    if (!/^\d{1,3}$/.test(prefixPart) || Number(prefixPart) > max) throw new CidrError(entry);
    this.list.addSubnet(parsed.address, Number(prefixPart), parsed.family);
  }
}

const LOOPBACK = new AddressMatcher(['127.0.0.0/8', '::1/128']);

/**
 * 127.0.0.0/8, ::1 and ::ffff:127.x.y.z. Asked for every request without credentials: an
 * IPv4 address (already checked by isIP) is read from its text, as BlockList.check costs
 * a SocketAddress per call.
 */
export function isLoopbackAddress(remoteAddress: string): boolean {
  const peer = unmapAddress(remoteAddress);
  if (!peer) return false;
  if (peer.family === 'ipv4') return peer.address.startsWith('127.');
  return LOOPBACK.matches(peer.address);
}

/** A host name or address to bind or connect to that stays on this machine. */
export function isLoopbackHost(host: string): boolean {
  const bare = host.replace(/^\[(.*)\]$/, '$1').toLowerCase();
  if (bare === 'localhost' || bare.endsWith('.localhost')) return true;
  return isLoopbackAddress(bare);
}
