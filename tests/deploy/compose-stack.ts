/**
 * docker-compose.yml as docker-compose resolves it (`docker-compose config`, which needs no
 * Docker engine), and as written: its text, its variables, and .env.example's.
 */
import { spawnSync } from 'node:child_process';
import { mkdtempSync, readFileSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { parse } from 'yaml';

export const ROOT = join(__dirname, '..', '..');
export const COMPOSE_FILE = join(ROOT, 'docker-compose.yml');
export const ENV_EXAMPLE = join(ROOT, '.env.example');

export interface Healthcheck {
  test?: string[] | string;
  disable?: boolean;
}

export interface ComposeService {
  image?: string;
  build?: unknown;
  command?: string[] | string;
  entrypoint?: string[] | string;
  environment?: Record<string, string | null>;
  ports?: (string | { host_ip?: string; published?: string | number; target?: number })[];
  volumes?: string[];
  tmpfs?: string[] | string;
  healthcheck?: Healthcheck;
  depends_on?: Record<string, { condition: string }> | string[];
  read_only?: boolean;
  profiles?: string[];
  stop_grace_period?: string;
}

export interface ComposeConfig {
  services: Record<string, ComposeService>;
  volumes?: Record<string, unknown>;
}

/** `docker-compose config` of the stack with `envFile`, in an environment of PATH and HOME only. */
export function composeConfig(envFile = ENV_EXAMPLE): ComposeConfig {
  const args = ['--env-file', envFile, '-f', COMPOSE_FILE, 'config'];
  const env = { PATH: process.env.PATH ?? '', HOME: process.env.HOME ?? '/tmp' };
  const run = spawnSync('docker-compose', args, { cwd: ROOT, env, encoding: 'utf8' });
  if (run.error && (run.error as NodeJS.ErrnoException).code === 'ENOENT')
    throw new Error(
      'docker-compose is not installed: these tests run `docker-compose config` (no Docker ' +
        'engine needed). Install it with `apt-get install docker-compose` (.ci/run does).',
    );
  if (run.status !== 0) throw new Error(`docker-compose config failed:\n${run.stderr}`);
  return parse(run.stdout) as ComposeConfig;
}

/** KEY=value lines of an env file (comments and blank lines skipped). */
export function readEnvFile(file = ENV_EXAMPLE): Map<string, string> {
  const entries = new Map<string, string>();
  for (const line of readFileSync(file, 'utf8').split('\n')) {
    const match = /^([A-Za-z_][A-Za-z0-9_]*)=(.*)$/.exec(line.trim());
    if (match) entries.set(match[1]!, match[2]!);
  }
  return entries;
}

/** docker-compose.yml without its comment lines. */
export function composeText(): string {
  return readFileSync(COMPOSE_FILE, 'utf8')
    .split('\n')
    .filter((line) => !line.trim().startsWith('#'))
    .join('\n');
}

export interface VariableUse {
  name: string;
  /** `${X:-v}` / `${X-v}`: the file has a default; `${X}` / `${X:?msg}`: .env must set it */
  hasDefault: boolean;
}

/** Every `${VAR…}` the compose file interpolates (`$${…}` is an escaped dollar, left out). */
export function variableUses(text = composeText()): VariableUse[] {
  const uses: VariableUse[] = [];
  for (const match of text.matchAll(/(\$?)\$\{([A-Za-z_][A-Za-z0-9_]*)(:?[-?][^}]*)?\}/g)) {
    if (match[1] === '$') continue;
    uses.push({ name: match[2]!, hasDefault: /^:?-/.test(match[3] ?? '') });
  }
  return uses;
}

/** The raw file parsed, anchors and merge keys resolved: what each key is written as. */
export function composeSource(): Record<string, unknown> {
  return parse(readFileSync(COMPOSE_FILE, 'utf8'), { merge: true }) as Record<string, unknown>;
}

/** The roles of `start --roles a,b`, or [] for another command. */
export function rolesOf(service: ComposeService): string[] {
  const command = Array.isArray(service.command) ? service.command : [];
  const at = command.indexOf('--roles');
  return command[0] === 'start' && at >= 0 ? (command[at + 1] ?? '').split(',') : [];
}

/** Where a service can write: its tmpfs mounts and the targets of its read-write volumes. */
export function writablePaths(service: ComposeService): string[] {
  const tmpfs = [service.tmpfs ?? []].flat().map((entry) => entry.split(':')[0]!);
  const volumes = (service.volumes ?? [])
    .map((v) => v.split(':'))
    .filter((parts) => parts[2] !== 'ro')
    .map((parts) => parts[1]!);
  return [...tmpfs, ...volumes];
}

/** `host_ip:published:target` of each published port, whatever form compose wrote it in. */
export function publishedPorts(service: ComposeService): { hostIp: string; target: number }[] {
  return (service.ports ?? []).map((port) => {
    if (typeof port !== 'string')
      return { hostIp: port.host_ip ?? '0.0.0.0', target: Number(port.target) };
    const parts = port.replace(/\/(tcp|udp)$/, '').split(':');
    return {
      hostIp: parts.length === 3 ? parts[0]! : '0.0.0.0',
      target: Number(parts[parts.length - 1]),
    };
  });
}

/** the named volume mounted at `path`, if any */
export const volumeAt = (s: ComposeService, path: string): string | undefined =>
  s.volumes?.map((v) => v.split(':')).find((parts) => parts[1] === path)?.[0];

/** `use` of a copy of .env.example with `changes` made (null: the line removed) */
export function withEnv<T>(changes: Record<string, string | null>, use: (file: string) => T): T {
  const dir = mkdtempSync(join(tmpdir(), 'akosha-compose-'));
  try {
    let text = readFileSync(ENV_EXAMPLE, 'utf8');
    for (const [key, value] of Object.entries(changes))
      text = text.replace(new RegExp(`^${key}=.*$`, 'm'), value === null ? '' : `${key}=${value}`);
    const file = join(dir, '.env');
    writeFileSync(file, text);
    return use(file);
  } finally {
    rmSync(dir, { recursive: true, force: true });
  }
}

export interface ScrapeConfig {
  job_name: string;
  authorization?: { type: string; credentials_file: string };
  dns_sd_configs?: { type: string; port: number; names: string[] }[];
}
export const scrapeConfig = () =>
  parse(readFileSync(join(ROOT, 'deploy/compose/prometheus.yml'), 'utf8')) as {
    rule_files: string[];
    scrape_configs: ScrapeConfig[];
  };
