/**
 * NetworkPolicy semantics (networking.k8s.io/v1, as the Kubernetes API reference documents them), in one place:
 * what a policy says once read (`readPolicy`), and whether a connection is allowed (`allowed`). The topology page
 * draws what it reads here; the tests ask `allowed` of the synthesized objects instead of comparing their YAML.
 */
import { parseCidr } from '../config/rules';
import { isObject, list, obj, str, strings } from '../objects/json';
import type { KubeObject } from '../objects/kube-object';
import { selectorMatches } from '../objects/pods';

/** One end of a connection: a pod (its namespace and labels) or an address outside the cluster. */
export type Endpoint = { readonly namespace: string; readonly labels: Readonly<Record<string, string>> } | { readonly ip: string };

/** A port entry: a number or a named port; with only a protocol, every port of that protocol. */
export interface Port {
  readonly protocol: string;
  readonly port?: number | string;
  readonly endPort?: number;
}

/** A peer: an address range, or pods (undefined selector: every pod) in namespaces (undefined selector: the policy's own). */
export type Peer =
  | { readonly ipBlock: { readonly cidr: string; readonly except: readonly string[] } }
  | { readonly namespaceSelector?: unknown; readonly podSelector?: unknown };

/** A rule: connections on these ports (`all`: any port) with these peers (`any`: any peer at all). */
export interface Rule {
  readonly ports: readonly Port[] | 'all';
  readonly peers: readonly Peer[] | 'any';
}

export type Direction = 'ingress' | 'egress';

export interface Policy {
  readonly name: string;
  readonly namespace: string;
  readonly podSelector: unknown;
  /** The rules of each direction the policy governs; a governed direction with no rules allows nothing. */
  readonly rules: Readonly<Partial<Record<Direction, readonly Rule[]>>>;
}

const intOrString = (v: unknown): number | string | undefined => (typeof v === 'number' || typeof v === 'string' ? v : undefined);

/** A NetworkPolicy object as its semantics read it; policyTypes defaults as the API server defaults it. */
export function readPolicy(o: KubeObject, defaultNamespace: string): Policy {
  const spec = obj(o['spec']);
  const declared = strings(spec['policyTypes']);
  const types = declared.length > 0 ? declared : spec['egress'] !== undefined ? ['Ingress', 'Egress'] : ['Ingress'];
  const rulesOf = (field: string, peersField: string): Rule[] =>
    list(spec[field]).map((rule) => {
      const r = obj(rule);
      const ports = list(r['ports']).map((p): Port => {
        const e = obj(p);
        const endPort = e['endPort'];
        return { protocol: str(e['protocol']) ?? 'TCP', port: intOrString(e['port']), endPort: typeof endPort === 'number' ? endPort : undefined };
      });
      const peers = list(r[peersField]).map((p): Peer => {
        const e = obj(p);
        const ipBlock = e['ipBlock'];
        if (isObject(ipBlock)) return { ipBlock: { cidr: str(ipBlock['cidr']) ?? '', except: strings(ipBlock['except']) } };
        return { namespaceSelector: e['namespaceSelector'], podSelector: e['podSelector'] };
      });
      return { ports: ports.length > 0 ? ports : 'all', peers: peers.length > 0 ? peers : 'any' };
    });
  return {
    name: o.metadata.name,
    namespace: o.metadata.namespace ?? defaultNamespace,
    podSelector: spec['podSelector'],
    rules: {
      ...(types.includes('Ingress') ? { ingress: rulesOf('ingress', 'from') } : {}),
      ...(types.includes('Egress') ? { egress: rulesOf('egress', 'to') } : {}),
    },
  };
}

function inCidr(ip: string, cidr: string): boolean {
  const a = parseCidr(`${ip}/32`);
  const range = parseCidr(cidr);
  if (!a || !range) return false;
  const size = 2 ** (32 - range.bits);
  return Math.floor(a.base / size) === Math.floor(range.base / size);
}

/** Whether `peer` of a policy in `policyNamespace` stands for `other`. */
export function peerMatches(peer: Peer, other: Endpoint, policyNamespace: string): boolean {
  if ('ipBlock' in peer) return 'ip' in other && inCidr(other.ip, peer.ipBlock.cidr) && !peer.ipBlock.except.some((c) => inCidr(other.ip, c));
  if (!('namespace' in other)) return false;
  const namespaceOk = peer.namespaceSelector !== undefined
    ? selectorMatches(peer.namespaceSelector, { 'kubernetes.io/metadata.name': other.namespace })
    : other.namespace === policyNamespace;
  return namespaceOk && (peer.podSelector === undefined || selectorMatches(peer.podSelector, other.labels));
}

/** Whether a rule's ports admit `port`/`protocol` (a named port only by its name). */
export function portMatches(ports: Rule['ports'], port: number | string, protocol: string): boolean {
  if (ports === 'all') return true;
  return ports.some((p) => p.protocol === protocol && (p.port === undefined || p.port === port ||
    (typeof p.port === 'number' && typeof port === 'number' && p.endPort !== undefined && port >= p.port && port <= p.endPort)));
}

/** Whether `policy` governs `direction` traffic of the pod `self`. */
export function governs(policy: Policy, direction: Direction, self: Endpoint): boolean {
  return 'namespace' in self && policy.rules[direction] !== undefined && policy.namespace === self.namespace && selectorMatches(policy.podSelector, self.labels);
}

/** Whether the policies of `self`'s side allow its `direction` traffic with `other`: none governs it, or one allows it. */
function sideAllows(policies: readonly Policy[], direction: Direction, self: Endpoint, other: Endpoint, port: number | string, protocol: string): boolean {
  const applying = policies.filter((p) => governs(p, direction, self));
  return applying.length === 0 || applying.some((p) => (p.rules[direction] ?? []).some((rule) =>
    portMatches(rule.ports, port, protocol) && (rule.peers === 'any' || rule.peers.some((peer) => peerMatches(peer, other, p.namespace)))));
}

/** May `from` open a connection to `to` on `port`? The sender's egress and the receiver's ingress must both allow it. */
export function allowed(objects: readonly KubeObject[], from: Endpoint, to: Endpoint, port: number | string, protocol = 'TCP'): boolean {
  const policies = objects.filter((o) => o.kind === 'NetworkPolicy').map((o) => readPolicy(o, o.metadata.namespace ?? ''));
  return sideAllows(policies, 'egress', from, to, port, protocol) && sideAllows(policies, 'ingress', to, from, port, protocol);
}
