import { spawnSync } from 'node:child_process';
import { mkdtempSync, readFileSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';

/**
 * How JetStream puts acknowledged messages on disk. `default`: the server's own setting
 * (without sync_interval, an fsync every 2 min: a power loss can drop what it acked
 * since). `always`: an fsync on every write, which only nats-server 2.10+ offers
 * (`jetstream { sync_interval: always }`); 2.9 rejects the key.
 */
export type NatsSync = 'always' | 'default';

export interface NatsSyncStatus {
  requested: NatsSync;
  /** `unverified`: a server Akosha did not start, whose configuration it cannot read */
  effective: NatsSync | 'unverified';
  serverVersion: string;
  /** set when `always` was asked for and is not known to be in force */
  warning?: string;
}

const SYNC_LINE = '  sync_interval: always';

/** nats.conf with `sync_interval: always` added to its jetstream block. */
export function withSyncAlways(conf: string): string {
  const out = conf.replace(/^jetstream\s*\{[^\n]*$/m, (open) => `${open}\n${SYNC_LINE}`);
  if (out === conf) throw new Error('nats.conf has no "jetstream {" block to add sync_interval to');
  return out;
}

/** Whether the installed nats-server accepts the config (`nats-server -t`, which only checks it). */
export function localServerAccepts(conf: string): boolean {
  const dir = mkdtempSync(join(tmpdir(), 'akosha-nats-conf-'));
  try {
    const file = join(dir, 'nats.conf');
    writeFileSync(file, conf);
    return spawnSync('nats-server', ['-t', '-c', file], { stdio: 'ignore' }).status === 0;
  } finally {
    rmSync(dir, { recursive: true, force: true });
  }
}

/** The config a local server starts with: the shipped one, plus `sync_interval: always` if asked for and accepted. */
export function localServerConf(
  baseConfPath: string,
  sync: NatsSync,
): { conf: string; syncAlways: boolean } {
  const base = readFileSync(baseConfPath, 'utf8');
  if (sync === 'default') return { conf: base, syncAlways: false };
  const always = withSyncAlways(base);
  return localServerAccepts(always)
    ? { conf: always, syncAlways: true }
    : { conf: base, syncAlways: false };
}

/** `2.9.10` → true when at least 2.10, where sync_interval exists. */
export function versionHasSyncInterval(version: string): boolean {
  const [major = 0, minor = 0] = version.replace(/^v/, '').split('.').map(Number);
  return major > 2 || (major === 2 && minor >= 10);
}

/** What a start with `requested` gives; `local` tells whether Akosha started the server itself. */
export function natsSyncStatus(
  requested: NatsSync,
  serverVersion: string,
  local: { syncAlways: boolean } | undefined,
): NatsSyncStatus {
  const status = { requested, serverVersion };
  if (requested === 'default') return { ...status, effective: 'default' };
  if (local?.syncAlways) return { ...status, effective: 'always' };
  if (local || !versionHasSyncInterval(serverVersion)) {
    const warning =
      `AKOSHA_NATS_SYNC=always, but nats-server ${serverVersion} has no sync_interval (2.10+): ` +
      'JetStream fsyncs every 2 min, and a power loss can drop uploads it acknowledged since';
    return { ...status, effective: 'default', warning };
  }
  const warning =
    `AKOSHA_NATS_SYNC=always: make sure the server at this URL (nats-server ${serverVersion}) ` +
    'has "sync_interval: always" in its jetstream block; Akosha cannot read its configuration';
  return { ...status, effective: 'unverified', warning };
}
