/**
 * Topology page: a Markdown document with a Mermaid flowchart drawn from the synthesized objects of one namespace.
 *
 * Everything on the page comes from the objects: Ingress hosts and paths, the Services they route to, the workloads
 * those Services select, Jobs and CronJobs, and the traffic that NetworkPolicies allow. The output depends only on
 * the input (objects are sorted, no timestamps), so the page can be committed and diffed.
 */
import type { KubeObject } from './objects';

type Json = Record<string, unknown>;
type Labels = Readonly<Record<string, string>>;

interface SelectorRequirement {
  readonly key: string;
  readonly operator: string;
  readonly values: readonly string[];
}

interface LabelSelector {
  readonly matchLabels: Labels;
  readonly matchExpressions: readonly SelectorRequirement[];
}

interface Workload {
  readonly kind: string;
  readonly name: string;
  readonly namespace: string;
  readonly key: string;
  readonly podLabels: Labels;
  readonly images: readonly string[];
  readonly spec: Json;
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
// Reading plain JSON safely

function rec(v: unknown): Json | undefined {
  return typeof v === 'object' && v !== null && !Array.isArray(v) ? (v as Json) : undefined;
}

function arr(v: unknown): readonly unknown[] {
  return Array.isArray(v) ? v : [];
}

function str(v: unknown): string | undefined {
  if (typeof v === 'string') return v;
  if (typeof v === 'number' && Number.isFinite(v)) return String(v);
  return undefined;
}

function labelsOf(v: unknown): Labels {
  const out: Record<string, string> = {};
  for (const [k, val] of Object.entries(rec(v) ?? {})) {
    const s = str(val);
    if (s !== undefined) out[k] = s;
  }
  return out;
}

function compare(a: string, b: string): number {
  return a < b ? -1 : a > b ? 1 : 0;
}

function byNamespaceAndName(a: KubeObject, b: KubeObject): number {
  return compare(a.metadata.namespace ?? '', b.metadata.namespace ?? '') || compare(a.metadata.name, b.metadata.name);
}

// ---------------------------------------------------------------------------------------------------------------
// Label selectors

function parseSelector(v: unknown): LabelSelector {
  const sel = rec(v) ?? {};
  const matchExpressions = arr(sel['matchExpressions']).flatMap((e): SelectorRequirement[] => {
    const r = rec(e);
    const key = str(r?.['key']);
    const operator = str(r?.['operator']);
    if (!r || key === undefined || operator === undefined) return [];
    return [{ key, operator, values: arr(r['values']).flatMap((x) => (str(x) === undefined ? [] : [str(x) as string])) }];
  });
  return { matchLabels: labelsOf(sel['matchLabels']), matchExpressions };
}

function selectorIsEmpty(sel: LabelSelector): boolean {
  return Object.keys(sel.matchLabels).length === 0 && sel.matchExpressions.length === 0;
}

/** Kubernetes label selector semantics: every matchLabels pair and every expression must hold. */
function selectorMatches(sel: LabelSelector, labels: Labels): boolean {
  for (const [k, v] of Object.entries(sel.matchLabels)) {
    if (labels[k] !== v) return false;
  }
  for (const e of sel.matchExpressions) {
    const has = Object.prototype.hasOwnProperty.call(labels, e.key);
    const value = labels[e.key];
    switch (e.operator) {
      case 'In':
        if (!has || value === undefined || !e.values.includes(value)) return false;
        break;
      case 'NotIn':
        if (has && value !== undefined && e.values.includes(value)) return false;
        break;
      case 'Exists':
        if (!has) return false;
        break;
      case 'DoesNotExist':
        if (has) return false;
        break;
      default:
        return false; // an unknown operator selects nothing
    }
  }
  return true;
}

function describeSelector(sel: LabelSelector): string {
  const parts = Object.keys(sel.matchLabels)
    .sort(compare)
    .map((k) => `${k}=${sel.matchLabels[k]}`);
  for (const e of sel.matchExpressions) {
    switch (e.operator) {
      case 'In':
        parts.push(`${e.key} in (${e.values.join(', ')})`);
        break;
      case 'NotIn':
        parts.push(`${e.key} notin (${e.values.join(', ')})`);
        break;
      case 'Exists':
        parts.push(e.key);
        break;
      case 'DoesNotExist':
        parts.push(`!${e.key}`);
        break;
      default:
        parts.push(`${e.key} ${e.operator} (${e.values.join(', ')})`);
    }
  }
  return parts.length === 0 ? 'all' : parts.join(', ');
}

/** The namespace a namespaceSelector names by `kubernetes.io/metadata.name`, when that is all it says. */
function selectedNamespaceName(sel: LabelSelector): string | undefined {
  const keys = Object.keys(sel.matchLabels);
  if (keys.length === 1 && keys[0] === NAME_LABEL && sel.matchExpressions.length === 0) return sel.matchLabels[NAME_LABEL];
  if (keys.length === 0 && sel.matchExpressions.length === 1) {
    const e = sel.matchExpressions[0];
    if (e && e.key === NAME_LABEL && e.operator === 'In' && e.values.length === 1) return e.values[0];
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

function podTemplate(o: KubeObject): Json | undefined {
  const spec = rec(o['spec']);
  if (o.kind === 'CronJob') return rec(rec(rec(spec?.['jobTemplate'])?.['spec'])?.['template']);
  return rec(spec?.['template']);
}

function imagesOf(template: Json | undefined): string[] {
  const podSpec = rec(template?.['spec']);
  const images: string[] = [];
  for (const field of ['initContainers', 'containers']) {
    for (const c of arr(podSpec?.[field])) {
      const image = str(rec(c)?.['image']);
      if (image !== undefined && !images.includes(image)) images.push(image);
    }
  }
  return images;
}

function portsOf(v: unknown): Ports {
  const list = arr(v);
  if (list.length === 0) return { all: true, items: [] };
  const items = list.map((p): PortItem => {
    const r = rec(p) ?? {};
    const protocol = str(r['protocol']) ?? 'TCP';
    const port = str(r['port']);
    const endPort = str(r['endPort']);
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
    const template = podTemplate(o);
    const spec = rec(o['spec']) ?? {};
    const w: Workload = {
      kind: o.kind,
      name: o.metadata.name,
      namespace,
      key: `${o.kind}/${namespace}/${o.metadata.name}`,
      podLabels: labelsOf(rec(template?.['metadata'])?.['labels']),
      images: imagesOf(template),
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
    const spec = rec(o['spec']) ?? {};
    const svc = this.serviceNode(namespace, o.metadata.name, str(spec['clusterIP']) === 'None');
    const selector = labelsOf(spec['selector']);
    if (Object.keys(selector).length === 0) return; // no selector: endpoints are managed elsewhere
    const mappings = arr(spec['ports']).flatMap((p): string[] => {
      const r = rec(p);
      const port = str(r?.['port']);
      if (!r || port === undefined) return [];
      const target = str(r['targetPort']) ?? port;
      const protocol = str(r['protocol']) ?? 'TCP';
      return [`${port}→${target}${protocol === 'TCP' ? '' : `/${protocol}`}`];
    });
    for (const w of this.workloads) {
      if (w.namespace !== namespace || !SERVED_KINDS.has(w.kind)) continue;
      if (!Object.entries(selector).every(([k, v]) => w.podLabels[k] === v)) continue;
      const e = this.graph.edge('serve', svc, w.key);
      for (const m of mappings) if (!e.parts.includes(m)) e.parts.push(m);
    }
  }

  addIngress(o: KubeObject): void {
    const namespace = this.ns(o);
    const spec = rec(o['spec']) ?? {};
    const tlsHosts = new Set(arr(spec['tls']).flatMap((t) => arr(rec(t)?.['hosts']).flatMap((h) => (typeof h === 'string' ? [h] : []))));
    const hostNode = (host: string | undefined): string => {
      const name = host ?? '*';
      const label = `${host ?? 'any host'}${host !== undefined && tlsHosts.has(host) ? ' (TLS)' : ''}`;
      return this.graph.node(`host/${name}`, `host_${host === undefined ? 'any' : host}`, label, undefined, true);
    };
    const route = (host: string | undefined, path: string, backend: unknown): void => {
      const b = rec(backend);
      const service = str(rec(b?.['service'])?.['name']) ?? str(b?.['serviceName']);
      if (service === undefined) return;
      const e = this.graph.edge('route', hostNode(host), this.serviceNode(namespace, service));
      if (!e.parts.includes(path)) e.parts.push(path);
    };
    const defaultBackend = spec['defaultBackend'] ?? spec['backend'];
    if (defaultBackend !== undefined) route(undefined, '(default backend)', defaultBackend);
    for (const rule of arr(spec['rules'])) {
      const r = rec(rule) ?? {};
      const host = str(r['host']);
      for (const p of arr(rec(r['http'])?.['paths'])) {
        const pr = rec(p) ?? {};
        route(host, str(pr['path']) ?? '(all paths)', pr['backend']);
      }
    }
  }

  private workloadsMatching(namespace: string, sel: LabelSelector): Workload[] {
    return this.workloads.filter((w) => w.namespace === namespace && selectorMatches(sel, w.podLabels));
  }

  /** A policy peer: its words, and (when `draw`) the graph nodes it stands for. */
  private peer(p: unknown, policyNamespace: string, direction: 'ingress' | 'egress', draw: boolean): Peer {
    const node = (key: string, base: string, label: string, group: string | undefined): string[] =>
      draw ? [this.graph.node(key, base, label, group)] : [];
    const r = rec(p) ?? {};
    const ipBlock = rec(r['ipBlock']);
    if (ipBlock) {
      const cidr = str(ipBlock['cidr']) ?? '?';
      const except = arr(ipBlock['except']).flatMap((x) => (str(x) === undefined ? [] : [str(x) as string]));
      const text = except.length > 0 ? `${cidr} except ${except.join(', ')}` : cidr;
      return { nodes: node(`cidr/${text}`, `cidr_${text}`, text, undefined), text };
    }
    const nsSel = r['namespaceSelector'] === undefined ? undefined : parseSelector(r['namespaceSelector']);
    const podSel = r['podSelector'] === undefined ? undefined : parseSelector(r['podSelector']);
    let nsName: string | undefined = policyNamespace;
    let nsText = `namespace ${policyNamespace}`;
    if (nsSel) {
      nsName = selectedNamespaceName(nsSel);
      nsText =
        nsName !== undefined ? `namespace ${nsName}` : selectorIsEmpty(nsSel) ? 'all namespaces' : `namespaces ${describeSelector(nsSel)}`;
    }
    if (!podSel || (nsSel && selectorIsEmpty(podSel))) {
      if (!nsSel) {
        const text = direction === 'ingress' ? 'any source' : 'anywhere';
        return { nodes: node(`any/${direction}`, direction === 'ingress' ? 'any_source' : 'anywhere', text, undefined), text };
      }
      return { nodes: node(`ns/${nsText}`, nsText, nsText, undefined), text: nsText };
    }
    const podText = selectorIsEmpty(podSel) ? 'all pods' : `pods ${describeSelector(podSel)}`;
    if (nsName === policyNamespace) {
      const matched = this.workloadsMatching(policyNamespace, podSel);
      const text = nsSel || selectorIsEmpty(podSel) ? `${podText} in ${nsText}` : podText;
      if (matched.length > 0) return { nodes: matched.map((w) => w.key), text };
      return { nodes: node(`pods/${policyNamespace}/${podText}`, podText, podText, policyNamespace), text };
    }
    const text = `${podText} in ${nsText}`;
    return { nodes: node(`pods/${text}`, text, text, undefined), text };
  }

  addNetworkPolicy(o: KubeObject): void {
    const namespace = this.ns(o);
    const spec = rec(o['spec']) ?? {};
    const podSel = parseSelector(spec['podSelector']);
    const declared = arr(spec['policyTypes']).flatMap((t) => (typeof t === 'string' ? [t] : []));
    const types = declared.length > 0 ? declared : spec['egress'] !== undefined ? ['Ingress', 'Egress'] : ['Ingress'];
    const directions = [
      { type: 'Ingress', direction: 'ingress' as const, rules: arr(spec['ingress']), peersField: 'from' },
      { type: 'Egress', direction: 'egress' as const, rules: arr(spec['egress']), peersField: 'to' },
    ].filter((d) => types.includes(d.type));

    if (selectorIsEmpty(podSel)) {
      const note = this.allPodsNotes.get(namespace) ?? { denyIngress: false, denyEgress: false, allows: [], policies: [] };
      this.allPodsNotes.set(namespace, note);
      note.policies.push(o.metadata.name);
      for (const d of directions) {
        if (d.rules.length === 0) {
          if (d.direction === 'ingress') note.denyIngress = true;
          else note.denyEgress = true;
        }
        for (const rule of d.rules) {
          const r = rec(rule) ?? {};
          const ports = portsOf(r['ports']);
          const peers = arr(r[d.peersField]).map((p) => this.peer(p, namespace, d.direction, false).text);
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
      this.notes.push(`NetworkPolicy ${code(o.metadata.name)} selects no workload here (${describeSelector(podSel)}).`);
      return;
    }
    for (const d of directions) {
      if (d.rules.length === 0) {
        const names = targets.map((w) => `${w.kind} ${w.name}`).join(', ');
        this.notes.push(`NetworkPolicy ${code(o.metadata.name)} allows no ${d.direction} for ${names}.`);
      }
      for (const rule of d.rules) {
        const r = rec(rule) ?? {};
        const ports = portsOf(r['ports']);
        const listed = arr(r[d.peersField]);
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
      return `${str(w.spec['completions']) ?? '1'} completion(s)`;
    case 'DaemonSet':
      return 'one per node';
    default:
      return str(w.spec['replicas']) ?? '1';
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
