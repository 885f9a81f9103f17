/**
 * Draws NetworkPolicies, as lib/report/network-policy.ts reads them, into the graph and the page's notes. A policy
 * that selects some workloads becomes dotted edges between those workloads and its peers, labelled with ports; one
 * that selects every pod of a namespace (default deny, DNS and the like) becomes one note line per namespace; a
 * policy that selects nothing here is noted.
 */
import { list, obj, str, stringMap } from '../../objects/json';
import type { KubeObject } from '../../objects/kube-object';
import { describeExpression, isEmptySelector, selectorMatches } from '../../objects/pods';
import { type Peer, readPolicy, type Rule } from '../network-policy';
import { formatPorts, type Graph, type PortItem, type Ports } from './graph';
import type { Workload } from './routing';
import { code, compare } from './text';

const NAME_LABEL = 'kubernetes.io/metadata.name';

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

function portsOf(ports: Rule['ports']): Ports {
  if (ports === 'all') return { all: true, items: [] };
  const items = ports.map((p): PortItem => {
    // A port entry with only a protocol allows every port of that protocol.
    if (p.port === undefined) return { protocol: p.protocol, port: 'all ports' };
    return { protocol: p.protocol, port: p.endPort !== undefined ? `${p.port}-${p.endPort}` : String(p.port) };
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

  /** A policy peer (undefined: any peer at all): its words, and (when `draw`) the graph nodes it stands for. */
  private peer(peer: Peer | undefined, policyNamespace: string, direction: 'ingress' | 'egress', draw: boolean): { readonly nodes: readonly string[]; readonly text: string } {
    const node = (key: string, base: string, label: string, group: string | undefined): string[] =>
      draw ? [this.graph.node(key, base, label, group)] : [];
    const drawn = (nodes: string[], text: string) => ({ nodes, text });
    if (peer !== undefined && 'ipBlock' in peer) {
      const { cidr, except } = peer.ipBlock;
      const text = except.length > 0 ? `${cidr || '?'} except ${except.join(', ')}` : cidr || '?';
      return drawn(node(`cidr/${text}`, `cidr_${text}`, text, undefined), text);
    }
    const nsSel = peer?.namespaceSelector;
    const podSel = peer?.podSelector;
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
        return drawn(node(`any/${direction}`, direction === 'ingress' ? 'any_source' : 'anywhere', text, undefined), text);
      }
      return drawn(node(`ns/${nsText}`, nsText, nsText, undefined), nsText);
    }
    const podText = isEmptySelector(podSel) ? 'all pods' : `pods ${selectorText(podSel)}`;
    if (nsName === policyNamespace) {
      const matched = this.workloadsMatching(policyNamespace, podSel);
      const text = nsSel !== undefined || isEmptySelector(podSel) ? `${podText} in ${nsText}` : podText;
      if (matched.length > 0) return drawn(matched.map((w) => w.key), text);
      return drawn(node(`pods/${policyNamespace}/${podText}`, podText, podText, policyNamespace), text);
    }
    const text = `${podText} in ${nsText}`;
    return drawn(node(`pods/${text}`, text, text, undefined), text);
  }

  addNetworkPolicy(o: KubeObject): void {
    const policy = readPolicy(o, this.defaultNamespace);
    const { namespace } = policy;
    const directions = (['ingress', 'egress'] as const).flatMap((direction) => {
      const rules = policy.rules[direction];
      return rules === undefined ? [] : [{ direction, rules }];
    });
    /** The peers of a rule, each with its words and nodes. */
    const peersOf = (rule: Rule, direction: 'ingress' | 'egress', draw: boolean) =>
      rule.peers === 'any' ? [this.peer(undefined, namespace, direction, draw)] : rule.peers.map((p) => this.peer(p, namespace, direction, draw));

    if (isEmptySelector(policy.podSelector)) {
      const note = this.allPodsNotes.get(namespace) ?? { denyIngress: false, denyEgress: false, allows: [], policies: [] };
      this.allPodsNotes.set(namespace, note);
      note.policies.push(policy.name);
      for (const d of directions) {
        if (d.rules.length === 0) {
          if (d.direction === 'ingress') note.denyIngress = true;
          else note.denyEgress = true;
        }
        for (const rule of d.rules) {
          const ports = portsOf(rule.ports);
          const who = peersOf(rule, d.direction, false).map((p) => p.text).join(', ');
          const isDns = !ports.all && ports.items.every((i) => i.port === '53');
          const verb = isDns ? 'DNS' : d.direction;
          note.allows.push(`${verb} ${d.direction === 'ingress' ? 'from' : 'to'} ${who} on ${formatPorts(ports)}`);
        }
      }
      return;
    }

    const targets = this.workloadsMatching(namespace, policy.podSelector);
    if (targets.length === 0) {
      this.notes.push(`NetworkPolicy ${code(policy.name)} selects no workload here (${selectorText(policy.podSelector)}).`);
      return;
    }
    for (const d of directions) {
      if (d.rules.length === 0) {
        const names = targets.map((w) => `${w.kind} ${w.name}`).join(', ');
        this.notes.push(`NetworkPolicy ${code(policy.name)} allows no ${d.direction} for ${names}.`);
      }
      for (const rule of d.rules) {
        const ports = portsOf(rule.ports);
        for (const peer of peersOf(rule, d.direction, true)) {
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
