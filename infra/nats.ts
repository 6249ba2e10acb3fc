import { AuthorizationError, connect, type NatsConnection } from '@nats-io/transport-node';
import type { NatsConfig } from './config';
import type { Logger } from './logger';
import { refuseRemoteNatsFallback } from './nats-fallback';
import { natsConnectOptions, type NatsClientSettings } from './nats-options';
import {
  localServerVersion,
  natsServerAvailable,
  startNatsServer,
  type LocalNatsServer,
} from './nats-server';
import { natsSyncStatus, type NatsSyncStatus } from './nats-sync';

export interface NatsHandle {
  nc: NatsConnection;
  /** set when Akosha started its own nats-server */
  local?: LocalNatsServer;
  /** how acknowledged messages reach the disk (AKOSHA_NATS_SYNC), shown in readiness */
  sync: NatsSyncStatus;
}

/** A long-lived connection with the configured credentials and TLS (infra/nats-options.ts). */
export async function connectNats(nats: NatsClientSettings, name: string): Promise<NatsConnection> {
  return connect(
    natsConnectOptions(nats, { name, maxReconnectAttempts: -1, reconnectTimeWait: 500 }),
  );
}

/** Logs connection state changes: disconnects, reconnects, slow consumers, server errors. */
export function logNatsStatus(nc: NatsConnection, log: Logger): void {
  void (async () => {
    for await (const status of nc.status()) {
      if (status.type === 'ping') continue;
      const level = ['reconnect', 'update', 'close'].includes(status.type) ? 'info' : 'warn';
      log[level]({ nats: status }, `nats ${status.type}`);
    }
  })();
}

/**
 * Connects to the configured server; when nothing answers there and nats-server
 * is installed, starts a local one with JetStream under the data directory.
 */
export async function connectOrStartNats(config: NatsConfig, log: Logger): Promise<NatsHandle> {
  const handle = await connectOrStart(config, log);
  const version = handle.local ? localServerVersion() : (handle.nc.info?.version ?? 'unknown');
  const sync = natsSyncStatus(config.sync, version, handle.local);
  // every start says it, as long as the durability asked for is not in force
  if (sync.warning) log.warn({ natsSync: sync }, sync.warning);
  return { ...handle, sync };
}

async function connectOrStart(config: NatsConfig, log: Logger): Promise<Omit<NatsHandle, 'sync'>> {
  try {
    return { nc: await connectNats(config, 'akosha') };
  } catch (err) {
    if (!config.startLocal || serverAnswered(err)) throw err;
    refuseRemoteNatsFallback(config.url, err);
    if (!natsServerAvailable()) {
      throw new Error(
        `no NATS server answers at ${config.url} and nats-server is not installed.\n` +
          '  Install it (Debian/Ubuntu: apt-get install -y nats-server; macOS: brew install nats-server)\n' +
          '  or point AKOSHA_NATS_URL at a server with JetStream enabled.',
      );
    }
    const port = Number(new URL(config.url.replace(/^nats:/, 'http:')).port || 4222);
    log.info(
      { url: config.url, storeDir: config.storeDir },
      'no NATS server answered: starting nats-server',
    );
    const local = await startNatsServer({ storeDir: config.storeDir, port, sync: config.sync });
    // a server Akosha starts itself listens on loopback only, with neither users nor TLS
    return { nc: await connectNats({ url: local.url }, 'akosha'), local };
  }
}

/** A server that refused our credentials or TLS is there: starting another on its port can't help. */
function serverAnswered(err: unknown): boolean {
  return err instanceof AuthorizationError || /tls/i.test(String(err));
}
