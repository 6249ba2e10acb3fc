import type { IContainer } from 'kubernetes-models/v1';
import { loadConfig } from '../../infra/config';
import { type K8sObject, ofKind, type Workload, workloads } from './kustomize';

/** The container securityContext every container must carry. */
const LOCKED_DOWN = {
  runAsNonRoot: true,
  runAsUser: 10001,
  allowPrivilegeEscalation: false,
  readOnlyRootFilesystem: true,
} as const;

/** app/shutdown.ts: past the drain, up to 8 forced close steps of ABORT_STEP_MS (5 s) each */
const FORCED_CLOSE_S = 8 * 5;

const where = (w: Workload, c: IContainer) => `${w.kind} ${w.name} container ${c.name}`;

/** Resources, probes on /health and /ready, the locked-down securityContext, /tmp writable. */
export function containerProblems(objects: K8sObject[]): string[] {
  return workloads(objects).flatMap((w) =>
    w.containers.flatMap((c) =>
      [...resourceIssues(c), ...probeIssues(c), ...securityIssues(c), ...tmpIssues(w, c)].map(
        (issue) => `${where(w, c)}: ${issue}`,
      ),
    ),
  );
}

function resourceIssues(c: IContainer): string[] {
  return (['requests', 'limits'] as const).flatMap((kind) =>
    ['cpu', 'memory'].filter((r) => !c.resources?.[kind]?.[r]).map((r) => `no ${kind}.${r}`),
  );
}

function probeIssues(c: IContainer): string[] {
  const ports = new Set<string | number>(
    (c.ports ?? []).flatMap((p) => [p.name ?? '', p.containerPort]),
  );
  const issues: string[] = [];
  if (c.livenessProbe?.httpGet?.path !== '/health') issues.push('liveness is not GET /health');
  if (c.readinessProbe?.httpGet?.path !== '/ready') issues.push('readiness is not GET /ready');
  for (const probe of [c.livenessProbe, c.readinessProbe, c.startupProbe]) {
    const port = probe?.httpGet?.port;
    if (port !== undefined && !ports.has(port))
      issues.push(`a probe calls port ${port}, not one it declares`);
  }
  return issues;
}

function securityIssues(c: IContainer): string[] {
  const s = c.securityContext ?? {};
  const issues = Object.entries(LOCKED_DOWN)
    .filter(([key, value]) => s[key as keyof typeof LOCKED_DOWN] !== value)
    .map(([key, value]) => `securityContext.${key} is not ${value}`);
  if (!s.capabilities?.drop?.includes('ALL')) issues.push('capabilities do not drop ALL');
  if ((s.capabilities?.add ?? []).length > 0) issues.push('capabilities are added');
  if (s.privileged === true) issues.push('privileged');
  if (s.seccompProfile?.type !== 'RuntimeDefault')
    issues.push('seccompProfile is not RuntimeDefault');
  return issues;
}

/** A read-only root needs /tmp on an emptyDir. */
function tmpIssues(w: Workload, c: IContainer): string[] {
  const mount = c.volumeMounts?.find((m) => m.mountPath === '/tmp');
  const volume = w.template.spec?.volumes?.find((v) => v.name === mount?.name);
  return volume?.emptyDir ? [] : ['/tmp is not an emptyDir'];
}

/** The roles of `start --roles a,b`, or [] for another command. */
function rolesOf(c: IContainer): string[] {
  const args = c.args ?? [];
  const at = args.indexOf('--roles');
  return at < 0 ? [] : (args[at + 1] ?? '').split(',');
}

/**
 * Each workload runs the role it is named after, first; only the api runs role `api`. The
 * others serve /health, /ready and /metrics from their probe listener, and no search, store
 * or MCP route.
 */
export function roleProblems(objects: K8sObject[]): string[] {
  return workloads(objects).flatMap((w) =>
    w.containers.flatMap((c) => {
      const role = w.labels['app.kubernetes.io/component'] ?? w.name;
      const roles = rolesOf(c);
      const issues: string[] = [];
      if (roles[0] !== role) issues.push(`runs roles ${roles.join(',')}, not ${role} first`);
      if (role !== 'api' && roles.includes('api')) issues.push('runs role api (only the api may)');
      return issues.map((issue) => `${where(w, c)}: ${issue}`);
    }),
  );
}

/** The environment a container starts with: ConfigMap, literal values, pod name, secrets. */
export function containerEnv(
  objects: K8sObject[],
  c: IContainer,
  podName: string,
): Record<string, string> {
  const env: Record<string, string> = {};
  for (const from of c.envFrom ?? []) {
    const name = from.configMapRef?.name;
    const map = ofKind(objects, 'ConfigMap').find((m) => m.metadata.name === name);
    Object.assign(env, map?.data ?? {});
  }
  for (const e of c.env ?? []) {
    if (e.value !== undefined) env[e.name] = e.value;
    else if (e.valueFrom?.fieldRef?.fieldPath === 'metadata.name') env[e.name] = podName;
    else if (e.valueFrom?.secretKeyRef) env[e.name] = 'secret-from-the-cluster';
  }
  return env;
}

/** Each container's environment is a valid configuration (infra/config.ts). */
export function configProblems(objects: K8sObject[]): string[] {
  return workloads(objects).flatMap((w) =>
    w.containers.flatMap((c) => {
      try {
        loadConfig(containerEnv(objects, c, `${w.name}-0`));
        return [];
      } catch (err) {
        return [`${where(w, c)}: ${(err as Error).message}`];
      }
    }),
  );
}

/** The grace period covers a preStop pause, AKOSHA_DRAIN_TIMEOUT_MS and the forced close. */
export function drainProblems(objects: K8sObject[]): string[] {
  return workloads(objects).flatMap((w) => {
    const grace = w.template.spec?.terminationGracePeriodSeconds ?? 30;
    return w.containers.flatMap((c) => {
      const drainS = loadConfig(containerEnv(objects, c, `${w.name}-0`)).drainTimeoutMs / 1000;
      const command = c.lifecycle?.preStop?.exec?.command ?? [];
      const preStopS = command[0] === 'sleep' ? Number(command[1]) : 0;
      const need = preStopS + drainS + FORCED_CLOSE_S;
      return grace >= need ? [] : [`${w.kind} ${w.name}: grace ${grace} s < ${need} s to drain`];
    });
  });
}

/**
 * Every Secret reference names a key of the Secret `akosha` that the docs list, and no
 * Secret object (no secret value) is in the manifests.
 */
export function secretProblems(objects: K8sObject[], documented: Set<string>): string[] {
  const problems = ofKind(objects, 'Secret').map((s) => `Secret ${s.metadata.name} is committed`);
  for (const w of workloads(objects)) {
    const refs: { name?: string | undefined; key: string; at: string }[] = [];
    for (const c of w.containers) {
      for (const e of c.env ?? []) {
        const ref = e.valueFrom?.secretKeyRef;
        if (ref) refs.push({ name: ref.name, key: ref.key, at: `${where(w, c)} env ${e.name}` });
      }
      for (const from of c.envFrom ?? [])
        if (from.secretRef) problems.push(`${where(w, c)}: envFrom a whole Secret`);
    }
    for (const v of w.template.spec?.volumes ?? []) {
      if (v.projected?.sources?.some((source) => source.secret))
        problems.push(`${w.name} volume ${v.name}: a projected Secret (not checked)`);
      if (!v.secret) continue;
      if (!v.secret.items?.length) problems.push(`${w.name} volume ${v.name}: every key mounted`);
      for (const item of v.secret.items ?? [])
        refs.push({ name: v.secret.secretName, key: item.key, at: `${w.name} volume ${v.name}` });
    }
    for (const ref of refs) {
      if (ref.name !== 'akosha') problems.push(`${ref.at}: Secret ${ref.name}, not akosha`);
      if (!documented.has(ref.key)) problems.push(`${ref.at}: key ${ref.key} is not documented`);
    }
  }
  return problems;
}
