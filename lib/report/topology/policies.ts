/**
 * Reads NetworkPolicies into the graph and the page's notes. A policy that selects some workloads becomes dotted
 * edges between those workloads and its peers, labelled with ports; one that selects every pod of a namespace
 * (default deny, DNS and the like) becomes one note line per namespace; a policy that selects nothing here is noted.
 */
import { isObject, list, obj, str, stringMap, strings } from '../../objects/json';
import type { KubeObject } from '../../objects/kube-object';
import { describeExpression, isEmptySelector, selectorMatches } from '../../objects/pods';
import { formatPorts, type Graph, type PortItem, type Ports } from './graph';
import type { Workload } from './routing';
import { code, compare, intOrString } from './text';

const NAME_LABEL = 'kubernetes.io/metadata.name';

interface Peer {
  /** Graph node keys the peer stands for. */
  readonly nodes: readonly string[];
  /** The peer in words, for notes. */
  readonly text: string;
}

/** What the policies that select every pod of one namespace say, gathered for its note line. */
interface AllPodsNote {
  denyIngress: boolean;
  denyEgress: boolean;
  allows: string[];
  policies: string[];
}

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

/** Read the workloads first (RoutingReader): policies are matched against them. */
export class PolicyReader {
  /** Notes on the other policies (those that select no workload here, or allow no traffic in a direction), in the order read. */
  readonly notes: string[] = [];
  private readonly allPodsNotes = new Map<string, AllPodsNote>();

  constructor(
    private readonly graph: Graph,
    private readonly workloads: readonly Workload[],
    private readonly defaultNamespace: string,
  ) {}

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
    const namespace = o.metadata.namespace ?? this.defaultNamespace;
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
