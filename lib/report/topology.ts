/**
 * Topology page: a Markdown document with a Mermaid flowchart drawn from the synthesized objects of one namespace.
 *
 * Everything on the page comes from the objects: Ingress hosts and paths, the Services they route to, the workloads
 * those Services select, Jobs and CronJobs, and the traffic that NetworkPolicies allow. The output depends only on
 * the input (objects are sorted, no timestamps), so the page can be committed and diffed.
 */
import { isObject, list, obj, str, stringMap, strings, type JsonObject } from '../objects/json';
import {
  containersOf, describeExpression, isEmptySelector, nameOf, namespaceOf, podTemplates, selectorMatches,
  type PodTemplate,
} from '../objects/pods';
import type { KubeObject } from '../objects/kube-object';

type Labels = Readonly<Record<string, string>>;

interface Workload {
  readonly kind: string;
  readonly name: string;
  readonly namespace: string;
  readonly key: string;
  readonly podLabels: Labels;
  readonly images: readonly string[];
  readonly spec: JsonObject;
}

interface PortItem {
  readonly protocol: string;
  readonly port: string;
}

/** A rule's ports: `all` when the rule lists none (every port is allowed). */
interface Ports {
  readonly all: boolean;
  readonly items: readonly PortItem[];
}

interface GraphNode {
  readonly key: string;
  readonly base: string;
  readonly label: string;
  /** Namespace subgraph the node is drawn in; undefined for nodes outside the namespaces (hosts, peers). */
  readonly group: string | undefined;
  /** Hosts are drawn first (left), other outside nodes after the subgraphs. */
  readonly first: boolean;
}

type EdgeStyle = 'route' | 'serve' | 'policy';

const EDGE_ORDER: Readonly<Record<EdgeStyle, number>> = { route: 0, serve: 1, policy: 2 };

interface GraphEdge {
  readonly style: EdgeStyle;
  readonly from: string;
  readonly to: string;
  /** Route: paths; serve: port mappings (in order of appearance, no duplicates). */
  readonly parts: string[];
  /** Policy: ports allowed by all the rules behind the edge. */
  readonly ports: { all: boolean; items: PortItem[] };
}

/** Workload kinds with a pod template, in the order the workload table lists them. */
const WORKLOAD_KINDS = ['Deployment', 'StatefulSet', 'DaemonSet', 'Job', 'CronJob'] as const;

/** Workloads that a Service can route to. */
const SERVED_KINDS: ReadonlySet<string> = new Set(['Deployment', 'StatefulSet', 'DaemonSet']);

const NAME_LABEL = 'kubernetes.io/metadata.name';

// ---------------------------------------------------------------------------------------------------------------
// Reading plain JSON (the narrowing helpers and label selectors are those of lib/inspect)

/** A field that may be a number as well as a string (ports, replicas, completions), as text. */
function intOrString(v: unknown): string | undefined {
  return typeof v === 'number' && Number.isFinite(v) ? String(v) : str(v);
}

function compare(a: string, b: string): number {
  return a < b ? -1 : a > b ? 1 : 0;
}

function byNamespaceAndName(a: KubeObject, b: KubeObject): number {
  return compare(namespaceOf(a), namespaceOf(b)) || compare(nameOf(a), nameOf(b));
}

// ---------------------------------------------------------------------------------------------------------------
// Label selectors

/** A selector in notes: kubectl's notation with matchLabels sorted by key, or `all` when it selects everything. */
function selectorText(selector: unknown): string {
  const s = obj(selector);
  const matchLabels = stringMap(s['matchLabels']);
  const parts = [
    ...Object.keys(matchLabels).sort(compare).map((k) => `${k}=${matchLabels[k]}`),
    ...list(s['matchExpressions']).map(describeExpression),
  ];
  return parts.length === 0 ? 'all' : parts.join(', ');
}

/** The namespace a namespaceSelector names by `kubernetes.io/metadata.name`, when that is all it says. */
function selectedNamespaceName(selector: unknown): string | undefined {
  const s = obj(selector);
  const matchLabels = obj(s['matchLabels']);
  const expressions = list(s['matchExpressions']);
  const keys = Object.keys(matchLabels);
  if (keys.length === 1 && keys[0] === NAME_LABEL && expressions.length === 0) return str(matchLabels[NAME_LABEL]);
  if (keys.length === 0 && expressions.length === 1) {
    const e = obj(expressions[0]);
    const values = list(e['values']);
    if (e['key'] === NAME_LABEL && e['operator'] === 'In' && values.length === 1) return str(values[0]);
  }
  return undefined;
}

// ---------------------------------------------------------------------------------------------------------------
// Mermaid and Markdown text

/** Text safe inside a double-quoted Mermaid label (entity codes for characters the parser or renderer would take). */
function mermaidText(s: string): string {
  return s.replace(/[#"<>&|`\r\n\t]/g, (c) => {
    switch (c) {
      case '#':
        return '#35;';
      case '"':
        return '#quot;';
      case '<':
        return '#lt;';
      case '>':
        return '#gt;';
      case '&':
        return '#amp;';
      case '|':
        return '#124;';
      case '`':
        return '#96;';
      default:
        return ' ';
    }
  });
}

function sanitizeId(s: string): string {
  return s.replace(/[^A-Za-z0-9_]/g, '_');
}

function tableCell(s: string): string {
  return s.replace(/[\r\n]+/g, ' ').replace(/\|/g, '\\|');
}

function code(s: string): string {
  return s.includes('`') ? `\`\` ${s} \`\`` : `\`${s}\``;
}

// ---------------------------------------------------------------------------------------------------------------
// Objects

function imagesOf(template: PodTemplate): string[] {
  const images: string[] = [];
  for (const { container } of containersOf(template, ['initContainers', 'containers'])) {
    const image = str(container['image']);
    if (image !== undefined && !images.includes(image)) images.push(image);
  }
  return images;
}

function portsOf(v: unknown): Ports {
  const entries = list(v);
  if (entries.length === 0) return { all: true, items: [] };
  const items = entries.map((p): PortItem => {
    const r = obj(p);
    const protocol = str(r['protocol']) ?? 'TCP';
    const port = intOrString(r['port']);
    const endPort = intOrString(r['endPort']);
    // A port entry with only a protocol allows every port of that protocol.
    if (port === undefined) return { protocol, port: 'all ports' };
    return { protocol, port: endPort !== undefined ? `${port}-${endPort}` : port };
  });
  return { all: false, items };
}

/** `UDP/TCP 53`, `TCP 8000, TCP 443`, `all ports`: protocols that share a port are written together. */
function formatPorts(ports: Ports): string {
  if (ports.all) return 'all ports';
  const byPort = new Map<string, string[]>();
  for (const { protocol, port } of ports.items) {
    const protocols = byPort.get(port) ?? [];
    if (!protocols.includes(protocol)) protocols.push(protocol);
    byPort.set(port, protocols);
  }
  return [...byPort].map(([port, protocols]) => `${protocols.join('/')} ${port}`).join(', ');
}

// ---------------------------------------------------------------------------------------------------------------
// The graph

class Graph {
  readonly nodes = new Map<string, GraphNode>();
  readonly edges = new Map<string, GraphEdge>();

  node(key: string, base: string, label: string, group: string | undefined, first = false): string {
    if (!this.nodes.has(key)) this.nodes.set(key, { key, base: sanitizeId(base), label, group, first });
    return key;
  }

  edge(style: EdgeStyle, from: string, to: string): GraphEdge {
    const k = `${style}\u0000${from}\u0000${to}`;
    let e = this.edges.get(k);
    if (!e) {
      e = { style, from, to, parts: [], ports: { all: false, items: [] } };
      this.edges.set(k, e);
    }
    return e;
  }

  /** Node ids from kind and name; names that sanitize to the same id get `_2`, `_3`, ... in key order. */
  ids(groups: readonly string[]): { nodeIds: Map<string, string>; groupIds: Map<string, string> } {
    const wanted: { key: string; base: string }[] = [...this.nodes.values()].map((n) => ({ key: `node:${n.key}`, base: n.base }));
    for (const g of groups) wanted.push({ key: `group:${g}`, base: `ns_${sanitizeId(g)}` });
    wanted.sort((a, b) => compare(a.base, b.base) || compare(a.key, b.key));
    const taken = new Set<string>();
    const assigned = new Map<string, string>();
    for (const { key, base } of wanted) {
      let id = base;
      for (let i = 2; taken.has(id); i++) id = `${base}_${i}`;
      taken.add(id);
      assigned.set(key, id);
    }
    const nodeIds = new Map<string, string>();
    const groupIds = new Map<string, string>();
    for (const [k, id] of assigned) {
      if (k.startsWith('node:')) nodeIds.set(k.slice(5), id);
      else groupIds.set(k.slice(6), id);
    }
    return { nodeIds, groupIds };
  }
}

interface Peer {
  /** Graph node keys the peer stands for. */
  readonly nodes: readonly string[];
  /** The peer in words, for notes. */
  readonly text: string;
}

class TopologyBuilder {
  readonly graph = new Graph();
  readonly workloads: Workload[] = [];
  readonly notes: string[] = [];
  private readonly allPodsNotes = new Map<string, { denyIngress: boolean; denyEgress: boolean; allows: string[]; policies: string[] }>();

  constructor(private readonly defaultNamespace: string) {}

  ns(o: KubeObject): string {
    return o.metadata.namespace ?? this.defaultNamespace;
  }

  serviceNode(namespace: string, name: string, headless = false): string {
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

  private workloadsMatching(namespace: string, selector: unknown): Workload[] {
    return this.workloads.filter((w) => w.namespace === namespace && selectorMatches(selector, w.podLabels));
  }

  /** A policy peer: its words, and (when `draw`) the graph nodes it stands for. */
  private peer(p: unknown, policyNamespace: string, direction: 'ingress' | 'egress', draw: boolean): Peer {
    const node = (key: string, base: string, label: string, group: string | undefined): string[] =>
      draw ? [this.graph.node(key, base, label, group)] : [];
    const r = obj(p);
    const ipBlock = r['ipBlock'];
    if (isObject(ipBlock)) {
      const cidr = str(ipBlock['cidr']) ?? '?';
      const except = strings(ipBlock['except']);
      const text = except.length > 0 ? `${cidr} except ${except.join(', ')}` : cidr;
      return { nodes: node(`cidr/${text}`, `cidr_${text}`, text, undefined), text };
    }
    const nsSel = r['namespaceSelector'];
    const podSel = r['podSelector'];
    let nsName: string | undefined = policyNamespace;
    let nsText = `namespace ${policyNamespace}`;
    if (nsSel !== undefined) {
      nsName = selectedNamespaceName(nsSel);
      nsText =
        nsName !== undefined ? `namespace ${nsName}` : isEmptySelector(nsSel) ? 'all namespaces' : `namespaces ${selectorText(nsSel)}`;
    }
    if (podSel === undefined || (nsSel !== undefined && isEmptySelector(podSel))) {
      if (nsSel === undefined) {
        const text = direction === 'ingress' ? 'any source' : 'anywhere';
        return { nodes: node(`any/${direction}`, direction === 'ingress' ? 'any_source' : 'anywhere', text, undefined), text };
      }
      return { nodes: node(`ns/${nsText}`, nsText, nsText, undefined), text: nsText };
    }
    const podText = isEmptySelector(podSel) ? 'all pods' : `pods ${selectorText(podSel)}`;
    if (nsName === policyNamespace) {
      const matched = this.workloadsMatching(policyNamespace, podSel);
      const text = nsSel !== undefined || isEmptySelector(podSel) ? `${podText} in ${nsText}` : podText;
      if (matched.length > 0) return { nodes: matched.map((w) => w.key), text };
      return { nodes: node(`pods/${policyNamespace}/${podText}`, podText, podText, policyNamespace), text };
    }
    const text = `${podText} in ${nsText}`;
    return { nodes: node(`pods/${text}`, text, text, undefined), text };
  }

  addNetworkPolicy(o: KubeObject): void {
    const namespace = this.ns(o);
    const spec = obj(o['spec']);
    const podSel = spec['podSelector'];
    const declared = strings(spec['policyTypes']);
    const types = declared.length > 0 ? declared : spec['egress'] !== undefined ? ['Ingress', 'Egress'] : ['Ingress'];
    const directions = [
      { type: 'Ingress', direction: 'ingress' as const, rules: list(spec['ingress']), peersField: 'from' },
      { type: 'Egress', direction: 'egress' as const, rules: list(spec['egress']), peersField: 'to' },
    ].filter((d) => types.includes(d.type));

    if (isEmptySelector(podSel)) {
      const note = this.allPodsNotes.get(namespace) ?? { denyIngress: false, denyEgress: false, allows: [], policies: [] };
      this.allPodsNotes.set(namespace, note);
      note.policies.push(o.metadata.name);
      for (const d of directions) {
        if (d.rules.length === 0) {
          if (d.direction === 'ingress') note.denyIngress = true;
          else note.denyEgress = true;
        }
        for (const rule of d.rules) {
          const r = obj(rule);
          const ports = portsOf(r['ports']);
          const peers = list(r[d.peersField]).map((p) => this.peer(p, namespace, d.direction, false).text);
          const who = peers.length > 0 ? peers.join(', ') : d.direction === 'ingress' ? 'any source' : 'anywhere';
          const isDns = !ports.all && ports.items.every((i) => i.port === '53');
          const verb = isDns ? 'DNS' : d.direction;
          note.allows.push(`${verb} ${d.direction === 'ingress' ? 'from' : 'to'} ${who} on ${formatPorts(ports)}`);
        }
      }
      return;
    }

    const targets = this.workloadsMatching(namespace, podSel);
    if (targets.length === 0) {
      this.notes.push(`NetworkPolicy ${code(o.metadata.name)} selects no workload here (${selectorText(podSel)}).`);
      return;
    }
    for (const d of directions) {
      if (d.rules.length === 0) {
        const names = targets.map((w) => `${w.kind} ${w.name}`).join(', ');
        this.notes.push(`NetworkPolicy ${code(o.metadata.name)} allows no ${d.direction} for ${names}.`);
      }
      for (const rule of d.rules) {
        const r = obj(rule);
        const ports = portsOf(r['ports']);
        const listed = list(r[d.peersField]);
        const peers = listed.length > 0 ? listed.map((p) => this.peer(p, namespace, d.direction, true)) : [this.peer({}, namespace, d.direction, true)];
        for (const peer of peers) {
          for (const peerNode of peer.nodes) {
            for (const target of targets) {
              const e = d.direction === 'ingress' ? this.graph.edge('policy', peerNode, target.key) : this.graph.edge('policy', target.key, peerNode);
              if (ports.all) e.ports.all = true;
              for (const item of ports.items) {
                if (!e.ports.items.some((i) => i.port === item.port && i.protocol === item.protocol)) e.ports.items.push(item);
              }
            }
          }
        }
      }
    }
  }

  /** Notes for policies that select every pod in a namespace, one line per namespace. */
  allPodsLines(): string[] {
    return [...this.allPodsNotes]
      .sort(([a], [b]) => compare(a, b))
      .map(([namespace, n]) => {
        const parts: string[] = [];
        if (n.denyIngress && n.denyEgress) parts.push('default deny ingress and egress');
        else if (n.denyIngress) parts.push('default deny ingress');
        else if (n.denyEgress) parts.push('default deny egress');
        parts.push(...n.allows);
        const policies = `NetworkPolic${n.policies.length > 1 ? 'ies' : 'y'} ${n.policies.map(code).join(', ')}`;
        return `All pods in namespace ${code(namespace)}: ${parts.join('; ')} (${policies}).`;
      });
  }
}

// ---------------------------------------------------------------------------------------------------------------
// Rendering

function renderDiagram(b: TopologyBuilder): string[] {
  const graph = b.graph;
  const groups = [...new Set([...graph.nodes.values()].flatMap((n) => (n.group === undefined ? [] : [n.group])))].sort(compare);
  const { nodeIds, groupIds } = graph.ids(groups);
  const id = (key: string): string => nodeIds.get(key) ?? sanitizeId(key);
  const nodeLine = (n: GraphNode, indent: string): string => `${indent}${id(n.key)}["${mermaidText(n.label)}"]`;
  const sortedNodes = [...graph.nodes.values()].sort((x, y) => compare(id(x.key), id(y.key)));

  const lines = ['flowchart LR'];
  for (const n of sortedNodes) if (n.group === undefined && n.first) lines.push(nodeLine(n, '  '));
  for (const g of groups) {
    lines.push(`  subgraph ${groupIds.get(g)} ["${mermaidText(`namespace ${g}`)}"]`);
    for (const n of sortedNodes) if (n.group === g) lines.push(nodeLine(n, '    '));
    lines.push('  end');
  }
  for (const n of sortedNodes) if (n.group === undefined && !n.first) lines.push(nodeLine(n, '  '));

  const edges = [...graph.edges.values()].sort(
    (x, y) => EDGE_ORDER[x.style] - EDGE_ORDER[y.style] || compare(id(x.from), id(y.from)) || compare(id(x.to), id(y.to)),
  );
  for (const e of edges) {
    const label = e.style === 'policy' ? formatPorts(e.ports) : e.parts.join(', ');
    const arrow = e.style === 'policy' ? '-.->' : '-->';
    lines.push(label === '' ? `  ${id(e.from)} ${arrow} ${id(e.to)}` : `  ${id(e.from)} ${arrow}|"${mermaidText(label)}"| ${id(e.to)}`);
  }
  return lines;
}

function replicasOrSchedule(w: Workload): string {
  switch (w.kind) {
    case 'CronJob': {
      const schedule = str(w.spec['schedule']) ?? '?';
      const timeZone = str(w.spec['timeZone']);
      const suspended = w.spec['suspend'] === true ? ', suspended' : '';
      return `schedule ${code(schedule)}${timeZone !== undefined ? ` (${timeZone})` : ''}${suspended}`;
    }
    case 'Job':
      return `${intOrString(w.spec['completions']) ?? '1'} completion(s)`;
    case 'DaemonSet':
      return 'one per node';
    default:
      return intOrString(w.spec['replicas']) ?? '1';
  }
}

function renderTable(workloads: readonly Workload[]): string[] {
  const kindOrder = (k: string): number => WORKLOAD_KINDS.indexOf(k as (typeof WORKLOAD_KINDS)[number]);
  const sorted = [...workloads].sort(
    (a, b) => compare(a.namespace, b.namespace) || kindOrder(a.kind) - kindOrder(b.kind) || compare(a.name, b.name),
  );
  const multi = new Set(sorted.map((w) => w.namespace)).size > 1;
  const header = multi ? ['Namespace', 'Kind', 'Name', 'Image(s)', 'Replicas / schedule'] : ['Kind', 'Name', 'Image(s)', 'Replicas / schedule'];
  const lines = [`| ${header.join(' | ')} |`, `|${header.map(() => ' --- ').join('|')}|`];
  for (const w of sorted) {
    const cells = [w.kind, w.name, w.images.length > 0 ? w.images.map(code).join(', ') : '(none)', replicasOrSchedule(w)];
    if (multi) cells.unshift(w.namespace);
    lines.push(`| ${cells.map(tableCell).join(' | ')} |`);
  }
  return lines;
}

/**
 * The topology page for `namespace` (objects without a namespace are taken to be in it): a heading, a Mermaid
 * `flowchart LR` of routing (solid arrows) and NetworkPolicy-allowed traffic (dotted arrows), notes for policies that
 * select every pod, and a table of the workloads.
 */
export function renderTopology(namespace: string, objects: readonly KubeObject[]): string {
  const b = new TopologyBuilder(namespace);
  const ofKind = (kind: string): KubeObject[] => objects.filter((o) => o.kind === kind).sort(byNamespaceAndName);

  const workloadObjects = objects
    .filter((o) => (WORKLOAD_KINDS as readonly string[]).includes(o.kind))
    .sort((x, y) => compare(x.kind, y.kind) || byNamespaceAndName(x, y));
  for (const o of workloadObjects) b.addWorkload(o);
  for (const o of ofKind('Ingress')) b.addIngress(o);
  for (const o of ofKind('Service')) b.addService(o);
  for (const o of ofKind('NetworkPolicy')) b.addNetworkPolicy(o);

  const out: string[] = [
    `# Open Vault topology: ${namespace}`,
    '',
    'This page is generated from the synthesized manifests; do not edit it by hand.',
    '',
    '```mermaid',
    ...renderDiagram(b),
    '```',
    '',
    'Solid arrows: Ingress routing (host → Service, labelled with paths) and Service → workload (port→targetPort). ' +
      'Dotted arrows: traffic allowed by NetworkPolicies, labelled with ports.',
  ];
  const notes = [...b.allPodsLines(), ...b.notes];
  if (notes.length > 0) out.push('', ...notes.map((n) => `- ${n}`));
  out.push('', '## Workloads', '');
  if (b.workloads.length > 0) out.push(...renderTable(b.workloads));
  else out.push('No workloads.');
  return `${out.join('\n')}\n`;
}
