/**
 * Reads what runs and how requests reach it into the graph: the workloads (with their images and pod labels), the
 * Services that select them, and the Ingress hosts and paths that route to those Services.
 */
import { list, obj, str, stringMap, strings, type JsonObject } from '../../objects/json';
import type { KubeObject } from '../../objects/kube-object';
import { containersOf, isEmptySelector, podTemplates, selectorMatches, type PodTemplate } from '../../objects/pods';
import { Graph } from './graph';
import { intOrString } from './text';

type Labels = Readonly<Record<string, string>>;

export interface Workload {
  readonly kind: string;
  readonly name: string;
  readonly namespace: string;
  /** The workload's graph node key. */
  readonly key: string;
  readonly podLabels: Labels;
  readonly images: readonly string[];
  readonly spec: JsonObject;
}

/** Workloads that a Service can route to. */
const SERVED_KINDS: ReadonlySet<string> = new Set(['Deployment', 'StatefulSet', 'DaemonSet']);

function imagesOf(template: PodTemplate): string[] {
  const images: string[] = [];
  for (const { container } of containersOf(template, ['initContainers', 'containers'])) {
    const image = str(container['image']);
    if (image !== undefined && !images.includes(image)) images.push(image);
  }
  return images;
}

/** Add the workloads first: Services and Ingresses are matched against those already read. */
export class RoutingReader {
  readonly workloads: Workload[] = [];

  constructor(
    readonly graph: Graph,
    private readonly defaultNamespace: string,
  ) {}

  private ns(o: KubeObject): string {
    return o.metadata.namespace ?? this.defaultNamespace;
  }

  private serviceNode(namespace: string, name: string, headless = false): string {
    return this.graph.node(`Service/${namespace}/${name}`, `service_${name}`, `Service ${name}${headless ? ' (headless)' : ''}`, namespace);
  }

  addWorkload(o: KubeObject): void {
    const namespace = this.ns(o);
    const template: PodTemplate | undefined = podTemplates(o)[0];
    const spec = obj(o['spec']);
    const w: Workload = {
      kind: o.kind,
      name: o.metadata.name,
      namespace,
      key: `${o.kind}/${namespace}/${o.metadata.name}`,
      podLabels: template ? template.labels : {},
      images: template ? imagesOf(template) : [],
      spec,
    };
    this.workloads.push(w);
    let label = `${o.kind} ${o.metadata.name}`;
    if (o.kind === 'CronJob') {
      const schedule = str(spec['schedule']);
      if (schedule !== undefined) label += `, schedule ${schedule}`;
    }
    this.graph.node(w.key, `${o.kind.toLowerCase()}_${o.metadata.name}`, label, namespace);
  }

  addService(o: KubeObject): void {
    const namespace = this.ns(o);
    const spec = obj(o['spec']);
    const svc = this.serviceNode(namespace, o.metadata.name, str(spec['clusterIP']) === 'None');
    const selector = { matchLabels: stringMap(spec['selector']) };
    if (isEmptySelector(selector)) return; // no selector: endpoints are managed elsewhere
    const mappings = list(spec['ports']).flatMap((p): string[] => {
      const r = obj(p);
      const port = intOrString(r['port']);
      if (port === undefined) return [];
      const target = intOrString(r['targetPort']) ?? port;
      const protocol = str(r['protocol']) ?? 'TCP';
      return [`${port}→${target}${protocol === 'TCP' ? '' : `/${protocol}`}`];
    });
    for (const w of this.workloads) {
      if (w.namespace !== namespace || !SERVED_KINDS.has(w.kind)) continue;
      if (!selectorMatches(selector, w.podLabels)) continue;
      const e = this.graph.edge('serve', svc, w.key);
      for (const m of mappings) if (!e.parts.includes(m)) e.parts.push(m);
    }
  }

  addIngress(o: KubeObject): void {
    const namespace = this.ns(o);
    const spec = obj(o['spec']);
    const tlsHosts = new Set(list(spec['tls']).flatMap((t) => strings(obj(t)['hosts'])));
    const hostNode = (host: string | undefined): string => {
      const name = host ?? '*';
      const label = `${host ?? 'any host'}${host !== undefined && tlsHosts.has(host) ? ' (TLS)' : ''}`;
      return this.graph.node(`host/${name}`, `host_${host === undefined ? 'any' : host}`, label, undefined, true);
    };
    const route = (host: string | undefined, path: string, backend: unknown): void => {
      const b = obj(backend);
      const service = str(obj(b['service'])['name']) ?? str(b['serviceName']);
      if (service === undefined) return;
      const e = this.graph.edge('route', hostNode(host), this.serviceNode(namespace, service));
      if (!e.parts.includes(path)) e.parts.push(path);
    };
    const defaultBackend = spec['defaultBackend'] ?? spec['backend'];
    if (defaultBackend !== undefined) route(undefined, '(default backend)', defaultBackend);
    for (const rule of list(spec['rules'])) {
      const r = obj(rule);
      const host = str(r['host']);
      for (const p of list(obj(r['http'])['paths'])) {
        const pr = obj(p);
        route(host, str(pr['path']) ?? '(all paths)', pr['backend']);
      }
    }
  }
}
