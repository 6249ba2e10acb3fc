import { spawnSync } from 'node:child_process';
import { readFileSync } from 'node:fs';
import { join } from 'node:path';
import { parseAllDocuments } from 'yaml';
import { ScaledObject } from '@kubernetes-models/keda/keda.sh/v1alpha1';
import { ServiceMonitor } from '@kubernetes-models/prometheus-operator/monitoring.coreos.com/v1';
import { Deployment, StatefulSet } from 'kubernetes-models/apps/v1';
import { HorizontalPodAutoscaler } from 'kubernetes-models/autoscaling/v2';
import { NetworkPolicy } from 'kubernetes-models/networking.k8s.io/v1';
import { PodDisruptionBudget } from 'kubernetes-models/policy/v1';
import { ConfigMap, Service, ServiceAccount } from 'kubernetes-models/v1';
import type { IContainer, IPodTemplateSpec } from 'kubernetes-models/v1';

export const DEPLOY_DIR = join(__dirname, '../../deploy/kubernetes');
export const DOCS_FILE = join(__dirname, '../../docs/kubernetes.md');

/** One rendered object; the fields the checks read are typed where they read them. */
export interface K8sObject {
  apiVersion: string;
  kind: string;
  metadata: { name: string; namespace?: string; labels?: Record<string, string> };
  // eslint-disable-next-line @typescript-eslint/no-explicit-any -- each check reads its kind's spec
  spec?: any;
  data?: Record<string, string>;
}

export interface Selector {
  matchLabels?: Record<string, string>;
  matchExpressions?: { key: string; operator: string; values?: string[] }[];
}

/** Every kind the manifests may hold, each with the model that validates it offline. */
const MODEL_CLASSES = [
  Deployment,
  StatefulSet,
  HorizontalPodAutoscaler,
  NetworkPolicy,
  PodDisruptionBudget,
  ConfigMap,
  Service,
  ServiceAccount,
  ScaledObject,
  ServiceMonitor,
];
const modelFor = (apiVersion: string, kind: string) =>
  MODEL_CLASSES.find((m) => m.apiVersion === apiVersion && m.kind === kind);

/** `kubectl kustomize <dir>`; fails with what to install when kubectl is missing. */
export function render(relativeDir: string): K8sObject[] {
  const result = spawnSync('kubectl', ['kustomize', join(DEPLOY_DIR, relativeDir)], {
    encoding: 'utf8',
    timeout: 60_000,
  });
  if (result.error && (result.error as NodeJS.ErrnoException).code === 'ENOENT') {
    throw new Error(
      'kubectl is not installed: the Kubernetes manifest checks render the overlays with ' +
        '`kubectl kustomize` (kubectl 1.27+ bundles kustomize v5)',
    );
  }
  if (result.status !== 0)
    throw new Error(`kubectl kustomize ${relativeDir} failed: ${result.stderr || result.error}`);
  return parseAllDocuments(result.stdout).map((doc) => {
    if (doc.errors.length > 0) throw new Error(`bad YAML from kustomize: ${doc.errors[0]}`);
    return doc.toJSON() as K8sObject;
  });
}

/** Problems of each object against its Kubernetes (or CRD) schema; an unknown kind is one. */
export function schemaProblems(objects: K8sObject[]): string[] {
  return objects.flatMap((o) => {
    const Model = modelFor(o.apiVersion, o.kind);
    if (!Model) return [`${o.apiVersion} ${o.kind} ${o.metadata.name}: no schema to check it`];
    try {
      // eslint-disable-next-line @typescript-eslint/no-explicit-any -- the schema checks the shape
      new Model(o as any).validate();
      return [];
    } catch (err) {
      return [`${o.kind} ${o.metadata.name}: ${(err as Error).message}`];
    }
  });
}

/** Keys of the Secret `akosha` that docs/kubernetes.md lists (its "The Secret" table). */
export function documentedSecretKeys(): Set<string> {
  const text = readFileSync(DOCS_FILE, 'utf8');
  const section = /^## The Secret\n([\s\S]*?)(?=^## )/m.exec(text)?.[1] ?? '';
  return new Set([...section.matchAll(/^\| `([^`]+)` *\|/gm)].map((m) => m[1]!));
}

export function matches(selector: Selector | undefined, labels: Record<string, string> = {}) {
  if (!selector) return false;
  const byLabel = Object.entries(selector.matchLabels ?? {}).every(([k, v]) => labels[k] === v);
  return byLabel && (selector.matchExpressions ?? []).every((e) => expressionHolds(e, labels));
}

function expressionHolds(
  e: NonNullable<Selector['matchExpressions']>[number],
  labels: Record<string, string>,
): boolean {
  const value = labels[e.key];
  switch (e.operator) {
    case 'In':
      return value !== undefined && (e.values ?? []).includes(value);
    case 'NotIn':
      return value === undefined || !(e.values ?? []).includes(value);
    case 'Exists':
      return value !== undefined;
    default:
      return value === undefined; // DoesNotExist
  }
}

export interface Workload {
  kind: string;
  name: string;
  object: K8sObject;
  template: IPodTemplateSpec;
  labels: Record<string, string>;
  containers: IContainer[];
}

export function workloads(objects: K8sObject[]): Workload[] {
  return objects
    .filter((o) => o.kind === 'Deployment' || o.kind === 'StatefulSet')
    .map((o) => {
      const template = o.spec.template as IPodTemplateSpec;
      const spec = template.spec!;
      return {
        kind: o.kind,
        name: o.metadata.name,
        object: o,
        template,
        labels: template.metadata?.labels ?? {},
        containers: [...spec.containers, ...(spec.initContainers ?? [])],
      };
    });
}

export const ofKind = (objects: K8sObject[], kind: string) =>
  objects.filter((o) => o.kind === kind);
