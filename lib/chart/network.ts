/**
 * Who talks to whom. Each workload declares, beside its pods, what it reaches and who outside the
 * environment may reach it (`Reachability`); `NetworkPolicies` turns the declarations of a chart into a
 * default deny plus one policy per workload. The receiving side of a connection between two workloads is
 * derived from the sender's declaration, so a connection is written once, where the caller is.
 */
import { Chart } from 'cdk8s';
import { Construct, IConstruct } from 'constructs';
import { EXTERNAL_PODS_ANNOTATION } from '../objects/kube-object';
import { meta, selectorLabels } from './labels';
import { k8s } from './k8s';
import { Placement } from '../config/types';

/** A CIDR with optional holes, as a NetworkPolicy `ipBlock`. */
export interface IpBlock {
  readonly cidr: string;
  readonly except?: readonly string[];
}

/** Something a workload opens connections to. */
export type Reach =
  /** The cluster DNS in `kube-system`, UDP and TCP 53. */
  | { readonly to: 'dns' }
  /** The pods of another workload of this environment (by `app.kubernetes.io/name`). */
  | { readonly to: 'workload'; readonly name: string; readonly port: number }
  /** Addresses outside the cluster, such as the internet on 443 or the API server. */
  | { readonly to: 'addresses'; readonly blocks: readonly IpBlock[]; readonly port: number }
  | ExternalReach;

/**
 * Pods or addresses this chart does not create (an operator-managed database). With `localPods`, they are
 * in this namespace and fall under its default deny, so a policy `name` lets the callers in.
 */
export interface ExternalReach {
  readonly to: 'external';
  readonly name: string;
  readonly peer: k8s.NetworkPolicyPeer;
  readonly port: number;
  readonly localPods?: Readonly<Record<string, string>>;
}

/** Traffic from outside the environment that a workload accepts (the ingress controller). */
export interface Admission {
  readonly from: k8s.NetworkPolicyPeer;
  readonly port: number;
}

export interface ReachabilityProps {
  /** The workload's `app.kubernetes.io/name`: what its pods are selected by. */
  readonly name: string;
  /** @default nothing: the workload opens no connection, not even to DNS */
  readonly reaches?: readonly Reach[];
  /** @default nothing from outside the environment */
  readonly admits?: readonly Admission[];
}

/** The network needs of one workload: emits nothing itself, read by NetworkPolicies. */
export class Reachability extends Construct {
  static isReachability(c: IConstruct): c is Reachability {
    return c instanceof Reachability;
  }

  readonly workload: string;
  readonly reaches: readonly Reach[];
  readonly admits: readonly Admission[];

  constructor(scope: Construct, id: string, props: ReachabilityProps) {
    super(scope, id);
    this.workload = props.name;
    this.reaches = props.reaches ?? [];
    this.admits = props.admits ?? [];
  }
}

const HTTPS = 443;
const DNS_PORT = 53;

export const tcp = (port: number): k8s.NetworkPolicyPort => ({ protocol: 'TCP', port: k8s.IntOrString.fromNumber(port) });
/** Every pod of a namespace, by the label the API server sets on each namespace. */
export const inNamespace = (name: string): k8s.NetworkPolicyPeer => ({ namespaceSelector: { matchLabels: { 'kubernetes.io/metadata.name': name } } });
/** The internet on 443, given as the blocks an environment allows. */
export const https = (blocks: readonly IpBlock[]): Reach => ({ to: 'addresses', blocks, port: HTTPS });
export const DNS: Reach = { to: 'dns' };

const ipBlocks = (blocks: readonly IpBlock[]): k8s.NetworkPolicyPeer[] =>
  blocks.map((b) => ({ ipBlock: { cidr: b.cidr, ...(b.except ? { except: [...b.except] } : {}) } }));

export interface NetworkPoliciesProps {
  readonly placement: Placement;
  /** Deny all traffic of the namespace first: the namespace's own chart does, a chart that shares it does not. @default true */
  readonly defaultDeny?: boolean;
}

/**
 * A default deny of all ingress and egress in the namespace, then for each declared workload one policy
 * that allows exactly its declarations: its egress, the ingress its callers declared, and its admissions.
 * Create it last in the chart: it reads the declarations made before it.
 */
export class NetworkPolicies extends Construct {
  private readonly placement: Placement;

  constructor(scope: Construct, id: string, props: NetworkPoliciesProps) {
    super(scope, id);
    this.placement = props.placement;
    const declared = Chart.of(this).node.findAll().filter(Reachability.isReachability);
    if (props.defaultDeny ?? true) this.policy('default-deny', {}, { ingress: [], egress: [] });
    for (const d of declared) {
      // Who may connect: its admissions, and every workload that declared it reaches this one. One rule per port.
      const from: Admission[] = [
        ...d.admits,
        ...declared.flatMap((c) => c.reaches.flatMap((r) => (r.to === 'workload' && r.name === d.workload ? [{ from: { podSelector: this.pods(c.workload) }, port: r.port }] : []))),
      ];
      const ingress = [...new Set(from.map((a) => a.port))].map((port) => ({ from: from.filter((a) => a.port === port).map((a) => a.from), ports: [tcp(port)] }));
      this.policy(d.workload, this.pods(d.workload), { ingress, egress: d.reaches.map((r) => this.egress(r)) });
    }
    // Pods of this namespace that another operator runs: let in those who declared them, one policy each.
    const local = new Map<string, { readonly reach: ExternalReach; readonly callers: string[] }>();
    for (const d of declared) {
      for (const r of d.reaches) {
        if (r.to !== 'external' || !r.localPods) continue;
        const entry = local.get(r.name) ?? { reach: r, callers: [] };
        local.set(r.name, entry);
        entry.callers.push(d.workload);
      }
    }
    for (const [name, { reach, callers }] of local) {
      this.policy(name, { matchLabels: { ...reach.localPods } }, {
        ingress: [{ from: callers.map((c) => ({ podSelector: this.pods(c) })), ports: [tcp(reach.port)] }],
      }, { [EXTERNAL_PODS_ANNOTATION]: 'true' });
    }
  }

  private pods(name: string): k8s.LabelSelector {
    return { matchLabels: selectorLabels(name, this.placement) };
  }

  private egress(r: Reach): k8s.NetworkPolicyEgressRule {
    switch (r.to) {
      case 'dns':
        return { to: [inNamespace('kube-system')], ports: [{ protocol: 'UDP', port: k8s.IntOrString.fromNumber(DNS_PORT) }, tcp(DNS_PORT)] };
      case 'workload':
        return { to: [{ podSelector: this.pods(r.name) }], ports: [tcp(r.port)] };
      case 'addresses':
        return { to: ipBlocks(r.blocks), ports: [tcp(r.port)] };
      case 'external':
        return { to: [r.peer], ports: [tcp(r.port)] };
    }
  }

  /** A policy of both types: an empty list of rules denies that direction for the selected pods. */
  private policy(
    name: string,
    podSelector: k8s.LabelSelector,
    rules: { ingress?: k8s.NetworkPolicyIngressRule[]; egress?: k8s.NetworkPolicyEgressRule[] },
    annotations?: Record<string, string>,
  ): void {
    const types = [...(rules.ingress ? ['Ingress'] : []), ...(rules.egress ? ['Egress'] : [])];
    new k8s.KubeNetworkPolicy(this, name, {
      metadata: meta({ name, placement: this.placement, component: 'network' }, name, annotations),
      spec: {
        podSelector,
        policyTypes: types,
        ...(rules.ingress?.length ? { ingress: rules.ingress } : {}),
        ...(rules.egress?.length ? { egress: rules.egress } : {}),
      },
    });
  }
}
