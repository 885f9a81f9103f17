/** Rules that check references between objects of the same output resolve. */
import { EXTERNAL_PODS_ANNOTATION, type KubeObject } from '../../objects/kube-object';
import { idOf, nsKey, templatesOf, type Context, type Issue, type Rule } from './context';
import { at, describe, isObject, items, list, obj, str, stringMap, type JsonObject } from '../../objects/json';
import {
  containersOf, describeSelector, isEmptySelector, namespaceOf, selectedTemplates, type PodTemplate,
} from '../../objects/pods';

function isKind(o: KubeObject, apiVersion: string, kind: string): boolean {
  return o.apiVersion === apiVersion && o.kind === kind;
}

function templatesIn(o: KubeObject, ctx: Context): readonly PodTemplate[] {
  return ctx.templates.get(namespaceOf(o)) ?? [];
}

/** A Service's selector as a LabelSelector, or undefined when it has none (ExternalName, manual endpoints). */
function serviceSelector(service: KubeObject): JsonObject | undefined {
  const spec = obj(service.spec);
  const matchLabels = stringMap(spec.selector);
  if (spec.type === 'ExternalName' || Object.keys(matchLabels).length === 0) return undefined;
  return { matchLabels };
}

function servicesWithSelector(o: KubeObject): Array<{ service: KubeObject; selector: JsonObject }> {
  const selector = isKind(o, 'v1', 'Service') ? serviceSelector(o) : undefined;
  return selector ? [{ service: o, selector }] : [];
}

/** Protects against Services that route to no pods (a selector typo leaves the Service with no endpoints). */
export const serviceSelectorRule: Rule = {
  id: 'service-selector',
  check: (o, _i, ctx) => servicesWithSelector(o)
    .filter(({ selector }) => selectedTemplates(selector, templatesIn(o, ctx)).length === 0)
    .map(({ selector }) => ({
      field: 'spec.selector',
      message: `selector ${describeSelector(selector)} selects no pod template in namespace ${describe(namespaceOf(o))}`,
    })),
};

function containerPorts(t: PodTemplate): JsonObject[] {
  return containersOf(t, ['containers']).flatMap(({ container }) => list(container.ports).filter(isObject));
}

function describePorts(ports: readonly JsonObject[]): string {
  return ports.map((p) => (p.name === undefined ? String(p.containerPort) : `${String(p.name)}=${String(p.containerPort)}`)).join(', ') || 'none';
}

function targetPortIssues(service: KubeObject, selector: JsonObject, ctx: Context): Issue[] {
  const out: Issue[] = [];
  const templates = selectedTemplates(selector, templatesIn(service, ctx));
  for (const { item: port, path } of items(obj(service.spec).ports, 'spec.ports')) {
    const target = port.targetPort ?? port.port;
    if (typeof target !== 'string' && typeof target !== 'number') continue; // a schema violation, reported there
    const matches = (cp: JsonObject): boolean => (typeof target === 'string' ? cp.name === target : cp.containerPort === target);
    for (const t of templates) {
      const ports = containerPorts(t);
      if (ports.some(matches)) continue;
      out.push({
        field: at(path, 'targetPort'),
        message: `targetPort ${describe(target)} matches no containerPort of ${idOf(t.owner)} (it has: ${describePorts(ports)})`,
      });
    }
  }
  return out;
}

/** Protects against Services whose traffic reaches pods on a port nothing listens on. */
export const targetPortRule: Rule = {
  id: 'target-port',
  check: (o, _i, ctx) => servicesWithSelector(o).flatMap(({ service, selector }) => targetPortIssues(service, selector, ctx)),
};

function ingressBackends(ingress: KubeObject): Array<{ backend: JsonObject; path: string }> {
  const found: Array<{ backend: JsonObject; path: string }> = [];
  const spec = obj(ingress.spec);
  const defaultBackend = obj(spec.defaultBackend);
  if (isObject(defaultBackend.service)) found.push({ backend: defaultBackend.service, path: 'spec.defaultBackend.service' });
  for (const rule of items(spec.rules, 'spec.rules')) {
    for (const p of items(obj(rule.item.http).paths, at(at(rule.path, 'http'), 'paths'))) {
      const service = obj(p.item.backend).service;
      if (isObject(service)) found.push({ backend: service, path: at(at(p.path, 'backend'), 'service') });
    }
  }
  return found;
}

function backendIssue(ingress: KubeObject, backend: JsonObject, path: string, ctx: Context): Issue | undefined {
  const name = str(backend.name) ?? '';
  const service = ctx.services.get(nsKey(namespaceOf(ingress), name));
  if (!service) return { field: at(path, 'name'), message: `Service ${describe(name)} is not in namespace ${describe(namespaceOf(ingress))}` };
  const port = obj(backend.port);
  const ports = list(obj(service.spec).ports).filter(isObject);
  const [key, want] = port.name !== undefined ? ['name', port.name] as const : ['number', port.number] as const;
  if (ports.some((p) => (key === 'name' ? p.name : p.port) === want)) return undefined;
  return {
    field: at(at(path, 'port'), key),
    message: `Service ${describe(name)} has no port ${key === 'name' ? 'named' : 'numbered'} ${describe(want)} (it has: ${ports.map((p) => `${String(p.name ?? '')}=${String(p.port)}`).join(', ') || 'none'})`,
  };
}

/** Protects against Ingress routes that answer 503 because their Service or port does not exist. */
export const ingressBackendRule: Rule = {
  id: 'ingress-backend',
  check: (o, _i, ctx) => (isKind(o, 'networking.k8s.io/v1', 'Ingress') ? ingressBackends(o) : [])
    .flatMap(({ backend, path }) => backendIssue(o, backend, path, ctx) ?? []),
};

/** Protects against StatefulSets without a governing headless Service, whose pods get no stable DNS names. */
export const headlessServiceRule: Rule = {
  id: 'headless-service',
  check: (o, _i, ctx) => {
    const name = str(obj(o.spec).serviceName);
    if (!isKind(o, 'apps/v1', 'StatefulSet') || name === undefined) return [];
    const service = ctx.services.get(nsKey(namespaceOf(o), name));
    const clusterIP = service && obj(service.spec).clusterIP;
    if (clusterIP === 'None') return [];
    const found = service ? `has clusterIP ${describe(clusterIP)}` : `is not in namespace ${describe(namespaceOf(o))}`;
    return [{ field: 'spec.serviceName', message: `Service ${describe(name)} ${found}; must be a Service with clusterIP: None` }];
  },
};

interface ConfigMapRef {
  readonly field: string;
  readonly name: unknown;
  readonly optional: boolean;
}

function ref(found: ConfigMapRef[], source: unknown, path: string): void {
  if (isObject(source)) found.push({ field: at(path, 'name'), name: source.name, optional: source.optional === true });
}

/** The ConfigMaps a pod template refers to: from envFrom, env valueFrom, and configMap or projected volumes. */
function configMapRefs(t: PodTemplate): ConfigMapRef[] {
  const found: ConfigMapRef[] = [];
  for (const { container, path } of containersOf(t)) {
    for (const e of items(container.envFrom, at(path, 'envFrom'))) ref(found, e.item.configMapRef, at(e.path, 'configMapRef'));
    for (const e of items(container.env, at(path, 'env'))) {
      ref(found, obj(e.item.valueFrom).configMapKeyRef, at(at(e.path, 'valueFrom'), 'configMapKeyRef'));
    }
  }
  for (const v of items(obj(t.template.spec).volumes, at(at(t.path, 'spec'), 'volumes'))) {
    ref(found, v.item.configMap, at(v.path, 'configMap'));
    for (const s of items(obj(v.item.projected).sources, at(at(v.path, 'projected'), 'sources'))) {
      ref(found, s.item.configMap, at(s.path, 'configMap'));
    }
  }
  return found;
}

/** Created by Kubernetes in every namespace, so never part of the output. */
const PROVIDED_CONFIG_MAPS: ReadonlySet<string> = new Set(['kube-root-ca.crt']);

/** Protects against pods stuck in CreateContainerConfigError or ContainerCreating on a ConfigMap nobody creates. */
export const configMapRefRule: Rule = {
  id: 'configmap-ref',
  check: (o, _i, ctx) => templatesOf(o, ctx).flatMap(configMapRefs)
    .filter((r) => !r.optional && !PROVIDED_CONFIG_MAPS.has(String(r.name)) && !ctx.configMaps.has(nsKey(namespaceOf(o), String(r.name))))
    .map((r) => ({
      field: r.field,
      message: `ConfigMap ${describe(r.name)} is not in namespace ${describe(namespaceOf(o))}; create it or mark the reference optional: true`,
    })),
};

/** The pod selectors of a NetworkPolicy that must pick pods in its own namespace. */
function policySelectors(policy: KubeObject): Array<{ selector: unknown; path: string }> {
  const found: Array<{ selector: unknown; path: string }> = [];
  const spec = obj(policy.spec);
  if (policy.metadata.annotations?.[EXTERNAL_PODS_ANNOTATION] !== 'true') found.push({ selector: spec.podSelector, path: 'spec.podSelector' });
  for (const [direction, peers] of [['ingress', 'from'], ['egress', 'to']] as const) {
    for (const r of items(spec[direction], at('spec', direction))) {
      for (const peer of items(r.item[peers], at(r.path, peers))) {
        if (peer.item.podSelector !== undefined && peer.item.namespaceSelector === undefined) {
          found.push({ selector: peer.item.podSelector, path: at(peer.path, 'podSelector') });
        }
      }
    }
  }
  return found;
}

/** Protects against NetworkPolicies that apply to, or admit traffic from, pods that do not exist. */
export const networkPolicySelectorRule: Rule = {
  id: 'network-policy-selector',
  check: (o, _i, ctx) => (isKind(o, 'networking.k8s.io/v1', 'NetworkPolicy') ? policySelectors(o) : [])
    .filter(({ selector }) => !isEmptySelector(selector) && selectedTemplates(selector, templatesIn(o, ctx)).length === 0)
    .map(({ selector, path }) => ({
      field: path,
      message: `selector ${describeSelector(selector)} selects no pod template in namespace ${describe(namespaceOf(o))}`,
    })),
};
