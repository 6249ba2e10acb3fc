/**
 * docker-compose.yml: the stack docker-compose builds from it (`docker-compose config`, no
 * Docker engine needed), checked for what an operator relies on.
 */
import { readdirSync, readFileSync } from 'node:fs';
import { basename, dirname, join } from 'node:path';
import { ALL_ROLES } from '../../app/roles';
import {
  composeConfig,
  type ComposeConfig,
  type ComposeService,
  composeSource,
  composeText,
  publishedPorts,
  readEnvFile,
  ROOT,
  rolesOf,
  scrapeConfig,
  variableUses,
  volumeAt,
  withEnv,
  writablePaths,
} from './compose-stack';

let stack: ComposeConfig;
/** the services that run the Akosha image, and those of them that serve (`start --roles`) */
let akosha: [string, ComposeService][];
let serving: [string, ComposeService][];

beforeAll(() => {
  stack = composeConfig();
  const image = stack.services.api?.image;
  akosha = Object.entries(stack.services).filter(([, s]) => s.image === image);
  serving = akosha.filter(([, s]) => rolesOf(s).length > 0);
});

const service = (name: string): ComposeService => {
  const found = stack.services[name];
  if (!found) throw new Error(`no service ${name}`);
  return found;
};
const env = (s: ComposeService): Record<string, string | null> => s.environment ?? {};
const initScript = () => readFileSync(join(ROOT, 'deploy/compose/akosha-init.sh'), 'utf8');
describe('docker-compose.yml', () => {
  it('is a stack docker-compose accepts, with every part of the deployment', () => {
    expect(Object.keys(stack.services)).toEqual(
      expect.arrayContaining([
        ...['nats-1', 'nats-2', 'nats-3', 'akosha-init', 'ingest', 'writer', 'api', 'cloud'],
        ...['scheduler', 'qdrant', 'redis', 'minio', 'minio-init', 'prometheus', 'grafana'],
      ]),
    );
  });

  it('runs every Akosha role from one image, each service with its own role', () => {
    expect(stack.services.api?.image).toBe('akosha:local');
    for (const [, s] of akosha) expect(s.build).toBeDefined();
    // a service is named after its role (writer-b: a second writer)
    for (const [name, s] of serving) expect(name).toMatch(new RegExp(`^${rolesOf(s)[0]}(-|$)`));
    const roles = new Set(serving.map(([, s]) => rolesOf(s)[0]));
    expect([...roles].sort()).toEqual([...ALL_ROLES].sort());
    // one role a service: without `api`, the probe listener serves /health, /ready and
    // /metrics, so search, stores and MCP are served by the api service alone
    for (const [name, s] of serving) expect([name, rolesOf(s)]).toEqual([name, [rolesOf(s)[0]]]);
    expect(serving.filter(([, s]) => rolesOf(s).includes('api')).map(([n]) => n)).toEqual(['api']);
  });

  it('splits the shard groups between two writers as .env.example says', () => {
    const groups = (spec: string | null | undefined): number[] => {
      if (spec === 'all') return Array.from({ length: 16 }, (_, g) => g);
      const [from = 0, to = from] = (spec ?? '').split('-').map(Number);
      return Array.from({ length: to - from + 1 }, (_, i) => from + i);
    };
    const split = withEnv({ WRITER_GROUPS: '0-7' }, composeConfig);
    const writers = ['writer', 'writer-b'].map((n) => env(split.services[n]!).AKOSHA_WRITER_GROUPS);
    expect(writers.flatMap(groups).sort((a, b) => a - b)).toEqual(groups('all'));
    expect(env(service('writer')).AKOSHA_WRITER_GROUPS).toBe('all'); // one writer by default
    expect(service('writer-b').profiles).toEqual(['two-writers']);
  });

  it('publishes only the API and Grafana, on 127.0.0.1 by default', () => {
    const withPorts = (config: ComposeConfig) =>
      Object.entries(config.services)
        .filter(([, s]) => (s.ports ?? []).length > 0)
        .map(([name, s]) => [name, publishedPorts(s)]);
    const expected = [
      ['api', [{ hostIp: '127.0.0.1', target: 8682 }]],
      ['grafana', [{ hostIp: '127.0.0.1', target: 3000 }]],
    ];
    expect(withPorts(stack)).toEqual(expected);
    // the same without PUBLISH_ADDRESS in .env: the file's default
    expect(withEnv({ PUBLISH_ADDRESS: null }, (file) => withPorts(composeConfig(file)))).toEqual(
      expected,
    );
  });

  it('takes every password, secret, key and token from a ${VAR} (.env), never a literal', () => {
    // a key naming a secret (not a file path such as AKOSHA_AUTH_TOKENS_FILE)
    const secretLike = /PASSWORD|SECRET|TOKEN(?!S?_FILE)|API_KEY|ACCESS_KEY/;
    // a whole value: ${VAR}, ${VAR:?message} or an empty default ${VAR:-}
    const fromVariable = /^\$\{[A-Za-z0-9_]+(:\?[^}]*|:-)?\}$/;
    const offenders: string[] = [];
    const source = composeSource();
    const sections = Object.entries(source).filter(([k]) => k.startsWith('x-'));
    const services = Object.entries(source.services as Record<string, ComposeService>);
    for (const [name, section] of [...sections, ...services]) {
      const environment = (section as ComposeService).environment ?? (section as object);
      for (const [key, value] of Object.entries(environment))
        if (secretLike.test(key) && !(typeof value === 'string' && fromVariable.test(value)))
          offenders.push(`${name}.${key}=${String(value)}`);
    }
    expect(offenders).toEqual([]);
    // passwords in commands come from the container's environment too
    const text = composeText();
    for (const m of text.matchAll(/--(requirepass|password|secret|token)[ =]"?(\S+)/g))
      expect(m[2]).toMatch(/^\$\$/);
    for (const value of readEnvFile().values())
      if (value.startsWith('change-me')) expect(text).not.toContain(value);
  });

  it('has .env.example define every variable it uses without a default, and no other', () => {
    const example = readEnvFile();
    const uses = variableUses();
    const required = [...new Set(uses.filter((u) => !u.hasDefault).map((u) => u.name))];
    expect(required.length).toBeGreaterThan(5);
    expect(required.filter((name) => !example.has(name))).toEqual([]);
    const used = new Set(uses.map((u) => u.name));
    expect([...example.keys()].filter((name) => !used.has(name))).toEqual([]);
  });

  it('runs NATS as three JetStream nodes routed to each other, Akosha with R3 streams', () => {
    const nodes = ['nats-1', 'nats-2', 'nats-3'];
    const conf = readFileSync(join(__dirname, '../../deploy/compose/nats/cluster.conf'), 'utf8');
    expect(conf).toMatch(/routes: \[\s*\$NATS_ROUTE_1\s+\$NATS_ROUTE_2\s+\$NATS_ROUTE_3\s*\]/);
    expect(conf).toMatch(/^jetstream \{[^}]*store_dir: \/data/m);
    for (const node of nodes) {
      const nats = service(node);
      expect(env(nats).NATS_SERVER_NAME).toBe(node);
      const routes = ['NATS_ROUTE_1', 'NATS_ROUTE_2', 'NATS_ROUTE_3'].map((k) => env(nats)[k]);
      expect(routes.map((r) => new URL(r ?? '').host)).toEqual(nodes.map((n) => `${n}:6222`));
      expect(nats.volumes).toEqual(
        expect.arrayContaining([
          `${node}-data:/data:rw`,
          expect.stringMatching(/:\/etc\/nats:ro$/),
        ]),
      );
    }
    for (const [name, s] of akosha) {
      const e = env(s);
      if (name === 'model-pull') continue; // downloads a model; no NATS
      expect(e.AKOSHA_NATS_URL?.split(',')).toEqual(nodes.map((n) => `nats://${n}:4222`));
      expect(e).toMatchObject({ AKOSHA_START_NATS: 'never', AKOSHA_STREAM_REPLICAS: '3' });
    }
  });

  it('has Prometheus load the alert rules and scrape every serving Akosha service', () => {
    const prometheus = service('prometheus');
    expect(prometheus.volumes).toEqual(
      expect.arrayContaining([
        `${ROOT}/alerts:/etc/prometheus/alerts:ro`,
        `${ROOT}/deploy/compose/prometheus.yml:/etc/prometheus/prometheus.yml:ro`,
      ]),
    );
    const config = scrapeConfig();
    expect(config.rule_files).toEqual(['/etc/prometheus/alerts/*.rules.yml']);
    const rules = readdirSync(join(ROOT, 'alerts')).filter((f) => f.endsWith('.rules.yml'));
    expect(rules).not.toEqual([]);
    // the alert rules' `up{job="akosha"}` needs this job name
    const job = config.scrape_configs.find((c) => c.job_name === 'akosha');
    const dns = job?.dns_sd_configs?.[0];
    expect(dns).toMatchObject({ type: 'A', port: 8682 });
    expect([...(dns?.names ?? [])].sort()).toEqual(serving.map(([name]) => name).sort());
    // the token akosha-init writes is the file Prometheus sends: one volume, both paths
    const tokenFile = job?.authorization?.credentials_file ?? '';
    const written = /AKOSHA_SCRAPE_TOKEN_FILE:-([^}]+)\}/.exec(initScript())?.[1] ?? '';
    expect(basename(tokenFile)).toBe(basename(written));
    expect(volumeAt(prometheus, dirname(tokenFile))).toBe('prometheus-token');
    expect(volumeAt(service('akosha-init'), dirname(written))).toBe('prometheus-token');
  });

  it('turns authentication on wherever Akosha listens beyond loopback', () => {
    const init = service('akosha-init');
    const tokensDir = dirname(env(init).AKOSHA_AUTH_TOKENS_FILE ?? '');
    expect(init.volumes).toContain(`akosha-auth:${tokensDir}:rw`);
    // akosha-init leaves an operator token in the tokens file before any listener starts
    expect(initScript()).toContain('akosha token create --name prometheus --role operator');
    for (const [name, s] of serving) {
      const e = env(s);
      expect([name, e.AKOSHA_HTTP_HOST, e.AKOSHA_AUTH ?? 'on']).toEqual([name, '0.0.0.0', 'on']);
      expect(e.AKOSHA_AUTH_TOKENS_FILE).toBe(env(init).AKOSHA_AUTH_TOKENS_FILE);
      // only the API process writes tokens (`docker-compose exec api akosha token create`)
      const access = name === 'api' ? 'rw' : 'ro';
      expect([name, s.volumes]).toEqual([
        name,
        expect.arrayContaining([`akosha-auth:${tokensDir}:${access}`]),
      ]);
      // a JWT secret, when .env sets one, comes with the issuer and audience it requires
      expect(Object.keys(e)).toEqual(
        expect.arrayContaining([
          'AKOSHA_AUTH_JWT_SECRET',
          'AKOSHA_AUTH_JWT_ISSUER',
          'AKOSHA_AUTH_JWT_AUDIENCE',
        ]),
      );
    }
  });

  it('gives every Akosha service a health check on /health and a drain-long stop', () => {
    for (const [name, s] of serving) {
      const test = [s.healthcheck?.test ?? []].flat().join(' ');
      expect([name, test]).toEqual([name, expect.stringMatching(/127\.0\.0\.1:8682\/health/)]);
      expect(Number.parseInt(s.stop_grace_period ?? '0', 10)).toBeGreaterThan(30 + 5);
      expect(s.depends_on).toMatchObject({
        'akosha-init': { condition: 'service_completed_successfully' },
      });
    }
    const others = [
      'nats-1',
      'nats-2',
      'nats-3',
      'qdrant',
      'redis',
      'minio',
      'prometheus',
      'grafana',
    ];
    for (const name of others) expect(service(name).healthcheck?.test).toBeDefined();
  });

  it('runs Akosha read-only, writing only to /data, /tmp and volumes', () => {
    for (const [name, s] of akosha) {
      expect([name, s.read_only]).toEqual([name, true]);
      expect([name, writablePaths(s)]).toEqual([name, expect.arrayContaining(['/tmp', '/data'])]);
    }
  });

  it('keeps the state of each stateful service on a named volume', () => {
    const stateful: [string, string][] = [
      ['nats-1', '/data'],
      ['nats-2', '/data'],
      ['nats-3', '/data'],
      ['writer', '/data'],
      ['writer-b', '/data'],
      ['qdrant', '/qdrant/storage'],
      ['minio', '/data'],
      ['prometheus', '/prometheus'],
      ['grafana', '/var/lib/grafana'],
    ];
    const named = Object.keys(stack.volumes ?? {});
    for (const [name, path] of stateful) {
      const mount = service(name).volumes?.find((v) => v.split(':')[1] === path);
      expect([name, named.includes(mount?.split(':')[0] ?? '')]).toEqual([name, true]);
    }
  });
});
