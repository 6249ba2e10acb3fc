import {
  autoscalingProblems,
  disruptionBudgetProblems,
  networkProblems,
  serviceProblems,
  writerProblems,
} from './cluster-checks';
import {
  documentedSecretKeys,
  type K8sObject,
  ofKind,
  render,
  schemaProblems,
  workloads,
} from './kustomize';
import {
  configProblems,
  containerProblems,
  drainProblems,
  roleProblems,
  secretProblems,
} from './pod-checks';

/** The checks every overlay passes; each is shown to fail on a broken manifest below. */
const CHECKS = {
  schemas: schemaProblems,
  containers: containerProblems,
  roles: roleProblems,
  config: configProblems,
  drain: drainProblems,
  secrets: (o: K8sObject[]) => secretProblems(o, documentedSecretKeys()),
  budgets: disruptionBudgetProblems,
  network: networkProblems,
  services: serviceProblems,
  writers: writerProblems,
};
type Check = keyof typeof CHECKS;

const CHECK_TITLES: Record<Check, string> = {
  schemas: 'objects of known kinds, each valid against its schema',
  containers: 'containers with resources, /health and /ready probes, a locked-down securityContext',
  roles: 'each workload its own role; role api (search, stores, MCP) in the api only',
  config: 'environments that are valid configurations',
  drain: 'grace periods that cover the drain',
  secrets: 'Secret references to documented keys of the Secret akosha only, no Secret object',
  budgets: 'a PodDisruptionBudget per role that selects its pods only',
  network: 'NetworkPolicies that deny by default and let in to the api only',
  services: 'Services that select pods, and a ServiceMonitor over every role',
  writers: 'a writer StatefulSet with a volume each and ordinal shard groups',
};
const CHECK_NAMES = Object.keys(CHECKS) as Check[];

const overlays: Record<string, K8sObject[]> = {};
beforeAll(() => {
  overlays.dev = render('overlays/dev');
  overlays.prod = render('overlays/prod');
});

const configOf = (objects: K8sObject[]) => ofKind(objects, 'ConfigMap')[0]!.data!;
const byName = (objects: K8sObject[], kind: string, name: string) =>
  ofKind(objects, kind).find((o) => o.metadata.name === name)!;

describe.each(['dev', 'prod'])('overlays/%s renders', (overlay) => {
  it.each(CHECK_NAMES)('%s', (check) => {
    expect(overlays[overlay]!.length).toBeGreaterThan(10);
    expect([CHECK_TITLES[check], CHECKS[check](overlays[overlay]!)]).toEqual([
      CHECK_TITLES[check],
      [],
    ]);
  });
});

describe('overlays', () => {
  it('dev: one pod of each role, R1 streams, no KEDA and no autoscaler', () => {
    const dev = overlays.dev!;
    for (const w of workloads(dev)) expect([w.name, w.object.spec.replicas]).toEqual([w.name, 1]);
    expect(configOf(dev).AKOSHA_STREAM_REPLICAS).toBe('1');
    expect(autoscalingProblems(dev, false)).toEqual([]);
    expect(ofKind(dev, 'HorizontalPodAutoscaler')).toEqual([]);
  });

  it('prod: 4 writers, ingest by KEDA from 2 to 10 (no HPA), R3 streams, pinned image, spread', () => {
    const prod = overlays.prod!;
    expect(byName(prod, 'StatefulSet', 'writer').spec.replicas).toBe(4);
    expect(autoscalingProblems(prod, true)).toEqual([]);
    const scaled = byName(prod, 'ScaledObject', 'ingest').spec;
    expect([scaled.minReplicaCount, scaled.maxReplicaCount]).toEqual([2, 10]);
    expect(configOf(prod).AKOSHA_STREAM_REPLICAS).toBe('3');
    for (const w of workloads(prod)) {
      for (const c of w.containers)
        expect(c.image).toMatch(/^ghcr\.io\/akosha\/akosha:\d+\.\d+\.\d+$/);
      const spec = w.template.spec!;
      expect([
        w.name,
        Boolean(spec.affinity?.podAntiAffinity || spec.topologySpreadConstraints),
      ]).toEqual([w.name, true]);
    }
  });

  it('the docs list the Secret keys the manifests use', () => {
    const keys = documentedSecretKeys();
    expect(keys).toEqual(
      new Set([
        'nats.creds',
        'auth-jwt-secret',
        'auth-tokens.json',
        's3-access-key-id',
        's3-secret-access-key',
        'redis-password',
        'qdrant-api-key',
        'mahavishnu-token',
      ]),
    );
  });
});

/** A copy of the prod render with one thing broken. */
function broken(change: (objects: K8sObject[]) => void): K8sObject[] {
  const copy = structuredClone(overlays.prod!);
  change(copy);
  return copy;
}
const container = (objects: K8sObject[], kind: string, name: string) =>
  byName(objects, kind, name).spec.template.spec.containers[0];

describe('each check catches a broken manifest', () => {
  const env = (o: K8sObject[], kind: string, name: string, variable: string) =>
    container(o, kind, name).env.find((e: { name: string }) => e.name === variable);
  const cases: [Check, RegExp, (objects: K8sObject[]) => void][] = [
    [
      'schemas',
      /replicas must be integer/,
      (o) => (byName(o, 'Deployment', 'api').spec.replicas = '3'),
    ],
    [
      'schemas',
      /Widget w: no schema/,
      (o) => o.push({ apiVersion: 'example.com/v1', kind: 'Widget', metadata: { name: 'w' } }),
    ],
    [
      'containers',
      /api .*readiness is not GET \/ready/,
      (o) => delete container(o, 'Deployment', 'api').readinessProbe,
    ],
    [
      'containers',
      /writer .*liveness is not GET \/health/,
      (o) => (container(o, 'StatefulSet', 'writer').livenessProbe.httpGet.path = '/ready'),
    ],
    [
      'containers',
      /ingest .*no limits.cpu/,
      (o) => delete container(o, 'Deployment', 'ingest').resources.limits,
    ],
    [
      'containers',
      /writer .*readOnlyRootFilesystem/,
      (o) => (container(o, 'StatefulSet', 'writer').securityContext.readOnlyRootFilesystem = false),
    ],
    [
      'containers',
      /api .*do not drop ALL/,
      (o) => (container(o, 'Deployment', 'api').securityContext.capabilities.drop = []),
    ],
    [
      'containers',
      /ingest .*\/tmp is not an emptyDir/,
      (o) => (container(o, 'Deployment', 'ingest').volumeMounts = []),
    ],
    [
      'roles',
      /writer .*runs role api/,
      (o) => (container(o, 'StatefulSet', 'writer').args = ['start', '--roles', 'writer,api']),
    ],
    [
      'roles',
      /api .*not api first/,
      (o) => (container(o, 'Deployment', 'api').args = ['start', '--roles', 'scheduler']),
    ],
    [
      'config',
      /AKOSHA_SHARD_GROUPS: must divide 256/,
      (o) => (configOf(o).AKOSHA_SHARD_GROUPS = '12'),
    ],
    [
      'drain',
      /writer: grace 30 s < 70 s/,
      (o) =>
        (byName(o, 'StatefulSet', 'writer').spec.template.spec.terminationGracePeriodSeconds = 30),
    ],
    [
      'secrets',
      /key password is not documented/,
      (o) =>
        (env(o, 'Deployment', 'api', 'AKOSHA_REDIS_PASSWORD').valueFrom.secretKeyRef.key =
          'password'),
    ],
    [
      'secrets',
      /Secret akosha is committed/,
      (o) => o.push({ apiVersion: 'v1', kind: 'Secret', metadata: { name: 'akosha' }, data: {} }),
    ],
    [
      'budgets',
      /writer: 0 PodDisruptionBudgets/,
      (o) =>
        (byName(o, 'PodDisruptionBudget', 'writer').spec.selector.matchLabels[
          'app.kubernetes.io/component'
        ] = 'writers'),
    ],
    [
      'budgets',
      /PDB api also selects/,
      (o) =>
        delete byName(o, 'PodDisruptionBudget', 'api').spec.selector.matchLabels[
          'app.kubernetes.io/component'
        ],
    ],
    [
      'network',
      /let in from outside: .*writer/,
      (o) =>
        delete byName(o, 'NetworkPolicy', 'api-from-ingress').spec.podSelector.matchLabels[
          'app.kubernetes.io/component'
        ],
    ],
    [
      'network',
      /no default-deny/,
      (o) => (byName(o, 'NetworkPolicy', 'default-deny').spec.policyTypes = ['Ingress']),
    ],
    [
      'network',
      /let in from outside: .*ingest/,
      (o) => (byName(o, 'NetworkPolicy', 'prometheus-scrape').spec.ingress[0].ports = []),
    ],
    [
      'network',
      /writer cannot reach port 443/,
      (o) =>
        (byName(
          o,
          'NetworkPolicy',
          'egress-object-store',
        ).spec.podSelector.matchExpressions[1].values = ['ingest']),
    ],
    [
      'services',
      /Service api selects no pods/,
      (o) => (byName(o, 'Service', 'api').spec.selector['app.kubernetes.io/component'] = 'apis'),
    ],
    [
      'services',
      /Service writer: writer has no port metrics/,
      (o) => (byName(o, 'Service', 'writer').spec.ports[0].targetPort = 'metrics'),
    ],
    [
      'services',
      /no ServiceMonitor scrapes ingest/,
      (o) => delete byName(o, 'Service', 'ingest').metadata.labels!['app.kubernetes.io/part-of'],
    ],
    [
      'writers',
      /not on a volumeClaimTemplate/,
      (o) => delete byName(o, 'StatefulSet', 'writer').spec.volumeClaimTemplates,
    ],
    [
      'writers',
      /AKOSHA_WRITER_REPLICAS 4 ≠ replicas 5/,
      (o) => (byName(o, 'StatefulSet', 'writer').spec.replicas = 5),
    ],
    [
      'writers',
      /AKOSHA_WRITER_GROUPS is not ordinal/,
      (o) => (env(o, 'StatefulSet', 'writer', 'AKOSHA_WRITER_GROUPS').value = '0-15'),
    ],
  ];
  it.each(cases)('%s: %p', (check, expected, change) => {
    const problems = CHECKS[check](broken(change));
    expect(problems.some((p) => expected.test(p))).toBe(true);
  });

  it('autoscaling: an HPA beside KEDA, KEDA without the component, a trigger on another consumer', () => {
    const hpa = {
      apiVersion: 'autoscaling/v2',
      kind: 'HorizontalPodAutoscaler',
      metadata: { name: 'ingest' },
      spec: {
        scaleTargetRef: { apiVersion: 'apps/v1', kind: 'Deployment', name: 'ingest' },
        maxReplicas: 3,
      },
    };
    expect(
      autoscalingProblems(
        broken((o) => o.push(hpa)),
        true,
      ),
    ).toContain('an HPA scales ingest beside KEDA');
    expect(autoscalingProblems(overlays.prod!, false)).toContain(
      'a KEDA ScaledObject without the KEDA component',
    );
    const otherConsumer = broken(
      (o) => (byName(o, 'ScaledObject', 'ingest').spec.triggers[0].metadata.consumer = 'embed'),
    );
    expect(autoscalingProblems(otherConsumer, true)).toEqual([
      'no nats-jetstream trigger on AKOSHA_UPLOADS/ingest',
    ]);
  });
});
