import { loadConfig } from '../../infra/config';
import { INGEST_CONSUMER, STREAM } from '../../streams';
import {
  type K8sObject,
  matches,
  ofKind,
  type Selector,
  type Workload,
  workloads,
} from './kustomize';
import { containerEnv } from './pod-checks';

const roleOf = (w: Workload) => w.labels['app.kubernetes.io/component'] ?? w.name;
const names = (ws: Workload[]) => ws.map((w) => w.name).join(', ');

/** Each workload has exactly one PodDisruptionBudget, and it selects that workload only. */
export function disruptionBudgetProblems(objects: K8sObject[]): string[] {
  const all = workloads(objects);
  const budgets = ofKind(objects, 'PodDisruptionBudget');
  return all.flatMap((w) => {
    const own = budgets.filter((b) => matches(b.spec.selector, w.labels));
    if (own.length !== 1) return [`${w.kind} ${w.name}: ${own.length} PodDisruptionBudgets`];
    const others = all.filter((o) => o !== w && matches(own[0]!.spec.selector, o.labels));
    return others.length ? [`PDB ${own[0]!.metadata.name} also selects ${names(others)}`] : [];
  });
}

interface Peer {
  namespaceSelector?: Selector;
  podSelector?: Selector;
  ipBlock?: { cidr: string };
}
interface Rule {
  from?: Peer[];
  to?: Peer[];
  ports?: { port?: number | string; protocol?: string }[];
}

/** Prometheus's pods in the monitoring namespace, on the metrics port: the only way into a non-api pod. */
const isScrape = (rule: Rule) =>
  (rule.from ?? []).length > 0 &&
  rule.from!.every(
    (peer) =>
      peer.namespaceSelector?.matchLabels?.['kubernetes.io/metadata.name'] === 'monitoring' &&
      peer.podSelector !== undefined &&
      peer.ipBlock === undefined,
  ) &&
  (rule.ports ?? []).length > 0 &&
  rule.ports!.every((p) => p.port === 'http');

/**
 * Default deny in and out; only the api is let in from anywhere but Prometheus; every pod
 * reaches DNS and NATS, writers and ingest reach https (S3).
 */
export function networkProblems(objects: K8sObject[]): string[] {
  const policies = ofKind(objects, 'NetworkPolicy');
  const all = workloads(objects);
  const selectedBy = (p: K8sObject) => all.filter((w) => matches(p.spec.podSelector, w.labels));
  const problems: string[] = [];
  const denies = policies.filter(
    (p) =>
      Object.keys(p.spec.podSelector ?? { none: 1 }).length === 0 &&
      ['Ingress', 'Egress'].every((t) => p.spec.policyTypes?.includes(t)) &&
      !p.spec.ingress?.length &&
      !p.spec.egress?.length,
  );
  if (denies.length === 0) problems.push('no default-deny NetworkPolicy for ingress and egress');
  const reachable = new Set<Workload>();
  for (const p of policies) {
    for (const rule of (p.spec.ingress ?? []) as Rule[]) {
      if (isScrape(rule)) continue;
      selectedBy(p).forEach((w) => reachable.add(w));
    }
  }
  const exposed = [...reachable].filter((w) => roleOf(w) !== 'api');
  if (exposed.length) problems.push(`let in from outside: ${names(exposed)} (only the api may be)`);
  if (![...reachable].some((w) => roleOf(w) === 'api')) problems.push('the api is not reachable');
  for (const w of all) problems.push(...egressIssues(w, policies));
  return problems;
}

function egressIssues(w: Workload, policies: K8sObject[]): string[] {
  const rules = policies
    .filter((p) => matches(p.spec.podSelector, w.labels))
    .flatMap((p) => (p.spec.egress ?? []) as Rule[]);
  const ports = new Set(rules.flatMap((r) => (r.ports ?? []).map((p) => p.port)));
  const need = [53, 4222, ...(['writer', 'ingest'].includes(roleOf(w)) ? [443] : [])];
  return need
    .filter((port) => !ports.has(port))
    .map((port) => `${w.name} cannot reach port ${port}`);
}

/** Every Service selects pods that declare its target ports; the ServiceMonitor covers every role. */
export function serviceProblems(objects: K8sObject[]): string[] {
  const all = workloads(objects);
  const services = ofKind(objects, 'Service');
  const problems = services.flatMap((s) => {
    const selected = all.filter((w) => matches({ matchLabels: s.spec.selector ?? {} }, w.labels));
    if (!s.spec.selector || selected.length === 0)
      return [`Service ${s.metadata.name} selects no pods`];
    return (s.spec.ports as { targetPort?: string | number; port: number }[]).flatMap((port) => {
      const target = port.targetPort ?? port.port;
      const missing = selected.filter(
        (w) =>
          !w.containers.some((c) =>
            c.ports?.some((p) => p.name === target || p.containerPort === target),
          ),
      );
      return missing.map((w) => `Service ${s.metadata.name}: ${w.name} has no port ${target}`);
    });
  });
  const monitors = ofKind(objects, 'ServiceMonitor');
  const scraped = services.filter((s) =>
    monitors.some((m) => matches(m.spec.selector, s.metadata.labels)),
  );
  for (const w of all) {
    const behind = scraped.some((s) => matches({ matchLabels: s.spec.selector ?? {} }, w.labels));
    if (!behind) problems.push(`no ServiceMonitor scrapes ${w.name}`);
  }
  return problems;
}

/** The writers: a volume each, and AKOSHA_WRITER_GROUPS=ordinal that splits every group once. */
export function writerProblems(objects: K8sObject[]): string[] {
  const sts = ofKind(objects, 'StatefulSet').find((o) => o.metadata.name === 'writer');
  if (!sts) return ['no StatefulSet writer'];
  const problems: string[] = [];
  const claims = (sts.spec.volumeClaimTemplates ?? []) as { metadata: { name: string } }[];
  const container = workloads([sts])[0]!.containers[0]!;
  const data = container.volumeMounts?.find((m) => m.mountPath === '/data');
  if (!claims.some((t) => t.metadata.name === data?.name))
    problems.push('writer: /data is not on a volumeClaimTemplate');
  const services = ofKind(objects, 'Service');
  const headless = services.find((s) => s.metadata.name === sts.spec.serviceName);
  if (headless?.spec.clusterIP !== 'None')
    problems.push('writer: serviceName is not a headless Service');
  const replicas: number = sts.spec.replicas ?? 1;
  const envOf = (ordinal: number) => containerEnv(objects, container, `writer-${ordinal}`);
  const env = envOf(0);
  if (env.AKOSHA_WRITER_GROUPS !== 'ordinal')
    problems.push('writer: AKOSHA_WRITER_GROUPS is not ordinal');
  if (env.AKOSHA_WRITER_REPLICAS !== String(replicas))
    problems.push(
      `writer: AKOSHA_WRITER_REPLICAS ${env.AKOSHA_WRITER_REPLICAS} ≠ replicas ${replicas}`,
    );
  if (env.AKOSHA_POD_NAME !== 'writer-0')
    problems.push('writer: AKOSHA_POD_NAME is not the pod name');
  if (problems.length) return problems;
  const groups = [...Array(replicas).keys()].flatMap((i) => loadConfig(envOf(i)).writer.groups);
  const groupCount = loadConfig(env).streams.shardGroups;
  if (groups.length !== groupCount || new Set(groups).size !== groupCount)
    problems.push(`writer: groups ${groups.join(',')} are not each of ${groupCount} once`);
  return problems;
}

/** With KEDA: one ScaledObject on the ingest consumer's backlog and no HPA; without: no KEDA. */
export function autoscalingProblems(objects: K8sObject[], keda: boolean): string[] {
  const targetsIngest = (o: K8sObject) =>
    o.spec.scaleTargetRef?.name === 'ingest' &&
    (o.spec.scaleTargetRef.kind ?? 'Deployment') === 'Deployment';
  const hpas = ofKind(objects, 'HorizontalPodAutoscaler').filter(targetsIngest);
  const scaled = ofKind(objects, 'ScaledObject');
  const problems: string[] = [];
  if (!keda && scaled.length) problems.push('a KEDA ScaledObject without the KEDA component');
  if (keda) {
    if (scaled.filter(targetsIngest).length !== 1) problems.push('not one ScaledObject for ingest');
    if (hpas.length) problems.push('an HPA scales ingest beside KEDA');
    const triggers = (scaled[0]?.spec.triggers ?? []) as {
      type: string;
      metadata: Record<string, string>;
    }[];
    const lag = triggers.find((t) => t.type === 'nats-jetstream')?.metadata;
    if (lag?.stream !== STREAM.uploads || lag.consumer !== INGEST_CONSUMER)
      problems.push(`no nats-jetstream trigger on ${STREAM.uploads}/${INGEST_CONSUMER}`);
  }
  const ingest = ofKind(objects, 'Deployment').find((d) => d.metadata.name === 'ingest');
  if ((hpas.length || scaled.length) && ingest?.spec.replicas !== undefined)
    problems.push('ingest sets replicas while an autoscaler owns them');
  return problems;
}
