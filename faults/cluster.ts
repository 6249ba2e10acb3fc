import { mkdirSync } from 'node:fs';
import { join } from 'node:path';
import { startNatsServer, type LocalNatsServer } from '../infra/nats-server';
import { freePort, spawnAkosha, stop, type AkoshaProcess } from './processes';

export interface ClusterSettings {
  /** run directory: nats store, akosha data, logs */
  dir: string;
  duplicateWindowMs: number;
  maxMessageBytes: number;
  ackWaitMs: number;
  /** the checkout whose CLI runs (from source); default this one */
  root?: string;
  /** extra AKOSHA_* settings for every akosha process */
  env?: Record<string, string>;
}

/** How a process runs: the all-in-one, the embed stage alone, or the shard writer alone. */
export type Part = 'all' | 'ingest' | 'writer';
const ROLES: Record<Part, string> = {
  all: 'ingest,writer,api',
  ingest: 'ingest',
  writer: 'writer',
};

/**
 * A real nats-server on a fixed loopback port and real akosha processes around it, each of
 * which can be killed, paused or restarted. Every process logs to <dir>/logs/<part>.log.
 */
export class Cluster {
  private server: LocalNatsServer | undefined;
  readonly procs = new Map<Part, AkoshaProcess>();

  private constructor(
    readonly settings: ClusterSettings,
    readonly port: number,
  ) {
    mkdirSync(join(settings.dir, 'logs'), { recursive: true });
  }

  static async create(settings: ClusterSettings): Promise<Cluster> {
    const cluster = new Cluster(settings, await freePort());
    await cluster.startNats();
    return cluster;
  }

  get natsUrl(): string {
    return `nats://127.0.0.1:${this.port}`;
  }

  get dataDir(): string {
    return join(this.settings.dir, 'data');
  }

  async startNats(): Promise<void> {
    this.server = await startNatsServer({
      storeDir: join(this.settings.dir, 'nats'),
      port: this.port,
    });
  }

  get natsRunning(): boolean {
    return this.server !== undefined;
  }

  logFile(part: Part): string {
    return join(this.settings.dir, 'logs', `${part}.log`);
  }

  async killNats(signal: NodeJS.Signals = 'SIGKILL'): Promise<void> {
    if (this.server) await stop(this.server.process, signal);
    this.server = undefined;
  }

  env(extra: Record<string, string> = {}): Record<string, string> {
    const s = this.settings;
    return {
      AKOSHA_NATS_URL: this.natsUrl,
      AKOSHA_START_NATS: 'never',
      AKOSHA_DATA_DIR: this.dataDir,
      AKOSHA_HTTP_PORT: '0',
      AKOSHA_LOG_LEVEL: 'info',
      AKOSHA_MAHAVISHNU_URL: '',
      AKOSHA_QUERY_CACHE: 'off',
      AKOSHA_SHARD_GROUPS: '4',
      AKOSHA_DUPLICATE_WINDOW_MS: String(s.duplicateWindowMs),
      AKOSHA_MAX_MESSAGE_BYTES: String(s.maxMessageBytes),
      AKOSHA_ACK_WAIT_MS: String(s.ackWaitMs),
      AKOSHA_BACKOFF_MS: '250,500,1000,2000',
      // the writers' upkeep (outbox, stranded chunks) runs often, beside the live loops
      AKOSHA_OUTBOX_SWEEP_MS: '5000',
      ...s.env,
      ...extra,
    };
  }

  /** Starts one process; `started` resolves once it logged that it runs. */
  start(part: Part, extra: Record<string, string> = {}): AkoshaProcess {
    if (this.procs.has(part)) throw new Error(`${part} is already running`);
    const proc = spawnAkosha(
      ['start', '--roles', ROLES[part]],
      this.env(extra),
      this.logFile(part),
      this.settings.root,
    );
    this.procs.set(part, proc);
    proc.child.once('exit', () => this.procs.get(part) === proc && this.procs.delete(part));
    return proc;
  }

  async startAndWait(part: Part, extra: Record<string, string> = {}): Promise<void> {
    await this.start(part, extra).started;
  }

  /** Sends a signal and waits for the exit; the wait in ms (SIGTERM: the drain). */
  async kill(part: Part, signal: NodeJS.Signals = 'SIGKILL'): Promise<number> {
    const proc = this.procs.get(part);
    if (!proc) return 0;
    return stop(proc.child, signal);
  }

  pause(part: Part): void {
    this.procs.get(part)?.child.kill('SIGSTOP');
  }

  resume(part: Part): void {
    this.procs.get(part)?.child.kill('SIGCONT');
  }

  running(part: Part): boolean {
    return this.procs.has(part);
  }

  /** Clean stop of every akosha process (SIGTERM drains), then of nats-server. */
  async stopAll(): Promise<void> {
    await Promise.all([...this.procs.keys()].map((part) => this.kill(part, 'SIGTERM')));
    await this.killNats('SIGTERM');
  }
}
