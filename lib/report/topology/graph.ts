/**
 * The topology as a graph: nodes (hosts, Services, workloads, policy peers), each in the namespace subgraph it is drawn
 * in, and edges of three styles (Ingress routes, Service → workload, NetworkPolicy-allowed traffic). The readers in
 * routing.ts and policies.ts fill it; mermaid.ts draws it.
 */
import { compare } from './text';

export interface GraphNode {
  readonly key: string;
  readonly base: string;
  readonly label: string;
  /** Namespace subgraph the node is drawn in; undefined for nodes outside the namespaces (hosts, peers). */
  readonly group: string | undefined;
  /** Hosts are drawn first (left), other outside nodes after the subgraphs. */
  readonly first: boolean;
}

export type EdgeStyle = 'route' | 'serve' | 'policy';

export interface PortItem {
  readonly protocol: string;
  readonly port: string;
}

/** A rule's ports: `all` when the rule lists none (every port is allowed). */
export interface Ports {
  readonly all: boolean;
  readonly items: readonly PortItem[];
}

export interface GraphEdge {
  readonly style: EdgeStyle;
  readonly from: string;
  readonly to: string;
  /** Route: paths; serve: port mappings (in order of appearance, no duplicates). */
  readonly parts: string[];
  /** Policy: ports allowed by all the rules behind the edge. */
  readonly ports: { all: boolean; items: PortItem[] };
}

/** `UDP/TCP 53`, `TCP 8000, TCP 443`, `all ports`: protocols that share a port are written together. */
export function formatPorts(ports: Ports): string {
  if (ports.all) return 'all ports';
  const byPort = new Map<string, string[]>();
  for (const { protocol, port } of ports.items) {
    const protocols = byPort.get(port) ?? [];
    if (!protocols.includes(protocol)) protocols.push(protocol);
    byPort.set(port, protocols);
  }
  return [...byPort].map(([port, protocols]) => `${protocols.join('/')} ${port}`).join(', ');
}

/** `s` as a Mermaid node id: every character but letters, digits and `_` becomes `_`. */
export function sanitizeId(s: string): string {
  return s.replace(/[^A-Za-z0-9_]/g, '_');
}

export class Graph {
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
