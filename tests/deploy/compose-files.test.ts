/**
 * The files docker-compose.yml mounts into its services, checked by the tools that read them
 * where those run here (nats-server, promtool), and against the stack and Akosha's own names.
 */
import { spawnSync } from 'node:child_process';
import { mkdtempSync, readFileSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { parse } from 'yaml';
import { versionHasSyncInterval } from '../../infra/nats-sync';
import { subjects } from '../../streams/subjects';
import { composeConfig, type ComposeConfig, type ComposeService, ROOT } from './compose-stack';

const read = (path: string) => readFileSync(join(ROOT, path), 'utf8');

let stack: ComposeConfig;
let dir: string;
beforeAll(() => {
  stack = composeConfig();
  dir = mkdtempSync(join(tmpdir(), 'akosha-compose-files-'));
});
afterAll(() => rmSync(dir, { recursive: true, force: true }));

const service = (name: string): ComposeService => stack.services[name]!;
const env = (name: string): Record<string, string> =>
  (service(name).environment ?? {}) as Record<string, string>;

describe('the files the stack mounts', () => {
  it('nats-server accepts the cluster config of each node', () => {
    const version = spawnSync('nats-server', ['--version'], { encoding: 'utf8' });
    if (version.error)
      throw new Error('nats-server is not installed (apt-get install nats-server)');
    let conf = read('deploy/compose/nats/cluster.conf');
    // the stack runs 2.10; Debian's 2.9 refuses sync_interval, and only that line
    if (!versionHasSyncInterval(/v?(\d+\.\d+\.\d+)/.exec(version.stdout)?.[1] ?? '0.0.0'))
      conf = conf.replace(/^\s*sync_interval: always\n/m, '');
    const file = join(dir, 'cluster.conf');
    writeFileSync(file, conf);
    for (const node of ['nats-1', 'nats-2', 'nats-3']) {
      const check = spawnSync('nats-server', ['-t', '-c', file], {
        env: { PATH: process.env.PATH, ...env(node) },
        encoding: 'utf8',
      });
      expect([node, check.stdout + check.stderr]).toEqual([
        node,
        expect.stringContaining('is valid'),
      ]);
    }
  });

  const promtool = spawnSync('promtool', ['--version']).status === 0;
  (promtool ? it : it.skip)('promtool accepts the Prometheus config and its rule files', () => {
    const token = join(dir, 'prometheus.token');
    writeFileSync(token, 'akosha_test\n');
    const config = join(dir, 'prometheus.yml');
    const text = read('deploy/compose/prometheus.yml')
      .replace('/etc/prometheus/akosha/prometheus.token', token)
      .replace('/etc/prometheus/alerts/', `${ROOT}/alerts/`);
    writeFileSync(config, text);
    const check = spawnSync('promtool', ['check', 'config', config], { encoding: 'utf8' });
    expect(check.stdout + check.stderr).toMatch(/SUCCESS: [1-9]\d* rule files? found/);
    expect(check.status).toBe(0);
  });

  it('Grafana provisions the Prometheus service and the mounted dashboards folder', () => {
    const grafana = service('grafana');
    expect(grafana.volumes).toEqual(
      expect.arrayContaining([
        `${ROOT}/deploy/grafana/provisioning:/etc/grafana/provisioning:ro`,
        `${ROOT}/deploy/grafana/dashboards:/var/lib/grafana/dashboards:ro`,
      ]),
    );
    const sources = parse(read('deploy/grafana/provisioning/datasources/prometheus.yml'));
    expect(sources.datasources).toEqual([
      expect.objectContaining({
        uid: 'prometheus',
        type: 'prometheus',
        url: 'http://prometheus:9090',
      }),
    ]);
    expect(stack.services.prometheus).toBeDefined();
    const boards = parse(read('deploy/grafana/provisioning/dashboards/akosha.yml'));
    expect(boards.providers[0].options.path).toBe('/var/lib/grafana/dashboards');
  });

  it("MinIO announces manifests to NATS on the cloud watcher's subject, as a user that may publish only that", () => {
    const minio = env('minio');
    expect(minio.MINIO_NOTIFY_NATS_SUBJECT_akosha).toBe(subjects.cloudEvents);
    expect(minio.MINIO_NOTIFY_NATS_ADDRESS_akosha).toBe('nats-1:4222');
    expect(minio.MINIO_NOTIFY_NATS_USERNAME_akosha).toBe('minio');
    expect(env('cloud').AKOSHA_SB_EVENTS_SUBJECT).toBeUndefined(); // its default: the subject above
    const conf = read('deploy/compose/nats/cluster.conf');
    expect(conf).toContain(`publish: { allow: ["${subjects.cloudEvents}"] }`);
    const init = read('deploy/compose/minio/init.sh');
    expect(init).toMatch(/mc event add .*local\/session-buddy arn:minio:sqs::akosha:nats/);
    expect(init).toContain('--suffix manifest.json');
  });

  it('minio-init creates the buckets Akosha uses, with a policy for just those', () => {
    const init = read('deploy/compose/minio/init.sh');
    const created = [...init.matchAll(/mc mb --ignore-existing local\/(\S+)/g)].map((m) => m[1]);
    const cold = env('writer').AKOSHA_COLD_S3_BUCKET;
    const sessionBuddy = env('cloud').AKOSHA_SB_BUCKET;
    expect(created.sort()).toEqual([cold, sessionBuddy].sort());
    const policy = JSON.parse(read('deploy/compose/minio/akosha-policy.json')) as {
      Statement: { Resource: string[] }[];
    };
    const buckets = new Set(
      policy.Statement.flatMap((s) => s.Resource).map((r) =>
        r.replace(/^arn:aws:s3:::([^/]+).*/, '$1'),
      ),
    );
    expect([...buckets].sort()).toEqual([cold, sessionBuddy].sort());
    // Akosha reaches MinIO as that user, not as its administrator
    for (const name of ['writer', 'cloud'])
      expect(env(name).AWS_ACCESS_KEY_ID).toBe(env('minio-init').AKOSHA_S3_ACCESS_KEY);
  });
});
