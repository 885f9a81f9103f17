/**
 * A small model of NetworkPolicy semantics, so tests can ask "may A reach B on this port?" of the
 * synthesized policies instead of comparing their YAML.
 */
import { Obj } from './helpers';

export type Endpoint = { readonly namespace: string; readonly labels: Record<string, string> } | { readonly ip: string };

function selects(selector: any, labels: Record<string, string>): boolean {
  const byLabels = Object.entries(selector?.matchLabels ?? {}).every(([k, v]) => labels[k] === v);
  const byExpressions = (selector?.matchExpressions ?? []).every((e: any) => {
    const has = e.key in labels;
    switch (e.operator) {
      case 'In': return has && e.values.includes(labels[e.key]);
      case 'NotIn': return !has || !e.values.includes(labels[e.key]);
      case 'Exists': return has;
      case 'DoesNotExist': return !has;
      default: throw new Error(`operator ${e.operator}`);
    }
  });
  return byLabels && byExpressions;
}

function ipToInt(ip: string): number {
  return ip.split('.').reduce((n, o) => n * 256 + Number(o), 0);
}

function inCidr(ip: string, cidr: string): boolean {
  const [base, bits] = cidr.split('/');
  const size = 2 ** (32 - Number(bits));
  return Math.floor(ipToInt(ip) / size) === Math.floor(ipToInt(base) / size);
}

function peerMatches(peer: any, other: Endpoint, policyNamespace: string): boolean {
  if (peer.ipBlock) {
    return 'ip' in other && inCidr(other.ip, peer.ipBlock.cidr) && !(peer.ipBlock.except ?? []).some((c: string) => inCidr(other.ip, c));
  }
  if (!('namespace' in other)) return false;
  const namespaceOk = peer.namespaceSelector
    ? selects(peer.namespaceSelector, { 'kubernetes.io/metadata.name': other.namespace })
    : other.namespace === policyNamespace;
  return namespaceOk && (!peer.podSelector || selects(peer.podSelector, other.labels));
}

function portMatches(rulePorts: any[] | undefined, port: number, protocol: string): boolean {
  return !rulePorts || rulePorts.some((p) => (p.protocol ?? 'TCP') === protocol && (p.port === undefined || p.port === port));
}

/** Whether `direction` traffic of `self` with `other` is allowed by the policies of `self`'s namespace. */
function sideAllows(policies: Obj[], direction: 'Ingress' | 'Egress', self: Endpoint, other: Endpoint, port: number, protocol: string): boolean {
  if (!('namespace' in self)) return true;
  const applying = policies.filter(
    (p) => p.metadata.namespace === self.namespace && p.spec.policyTypes.includes(direction) && selects(p.spec.podSelector, self.labels),
  );
  if (applying.length === 0) return true;
  const key = direction === 'Ingress' ? 'ingress' : 'egress';
  const peers = direction === 'Ingress' ? 'from' : 'to';
  return applying.some((p) =>
    (p.spec[key] ?? []).some(
      (rule: any) =>
        portMatches(rule.ports, port, protocol) && (!rule[peers] || rule[peers].some((peer: any) => peerMatches(peer, other, self.namespace))),
    ),
  );
}

/** May `from` open a connection to `to` on `port`? Both the sender's egress and the receiver's ingress must allow it. */
export function allowed(objects: readonly Obj[], from: Endpoint, to: Endpoint, port: number, protocol = 'TCP'): boolean {
  const policies = objects.filter((o) => o.kind === 'NetworkPolicy');
  return sideAllows(policies, 'Egress', from, to, port, protocol) && sideAllows(policies, 'Ingress', to, from, port, protocol);
}
