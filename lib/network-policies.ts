/**
 * NetworkPolicies that allow the seed's call sequence and nothing more: the ingress controller
 * to the web tiers, the frontend to the backend, the backend and its jobs to the database, DNS,
 * and HTTPS to the outside for what calls Elasticsearch, S3 and Auth0. Everything else is denied.
 */
import { Construct } from 'constructs';
import { Environment, ExternalDatabase } from './config';
import { EXTERNAL_PODS_ANNOTATION } from './objects';
import { meta, selectorLabels } from './labels';
import { k8s, Manifest } from './k8s';
import { BACKEND, DATABASE, FRONTEND, JOBS } from './stack';

export const DEFAULT_INGRESS_CONTROLLER_NAMESPACE = 'ingress-nginx';
const HTTPS = 443;

const tcp = (port: number): k8s.NetworkPolicyPort => ({ protocol: 'TCP', port: k8s.IntOrString.fromNumber(port) });
const inNamespace = (name: string): k8s.NetworkPolicyPeer => ({ namespaceSelector: { matchLabels: { 'kubernetes.io/metadata.name': name } } });
const pods = (env: Environment, ...names: string[]): k8s.LabelSelector =>
  names.length === 1
    ? { matchLabels: selectorLabels(names[0], env.namespace) }
    : {
        matchLabels: { 'app.kubernetes.io/instance': env.namespace },
        matchExpressions: [{ key: 'app.kubernetes.io/name', operator: 'In', values: names }],
      };

/** The external database as a NetworkPolicy peer: its CIDR, or its pods in their namespace. */
function externalPeer(env: Environment, db: ExternalDatabase): k8s.NetworkPolicyPeer {
  if ('cidr' in db.peer) return { ipBlock: { cidr: db.peer.cidr } };
  return { ...inNamespace(db.peer.namespace ?? env.namespace), podSelector: { matchLabels: { ...db.peer.podLabels } } };
}

export class NetworkPolicies extends Construct {
  private readonly env: Environment;

  constructor(scope: Construct, id: string, env: Environment) {
    super(scope, id);
    this.env = env;
    const controller = inNamespace(env.network.ingressControllerNamespace ?? DEFAULT_INGRESS_CONTROLLER_NAMESPACE);
    const internet: k8s.NetworkPolicyEgressRule = {
      to: env.network.egressCidrs.map((c) => ({ ipBlock: { cidr: c.cidr, ...(c.except ? { except: [...c.except] } : {}) } })),
      ports: [tcp(HTTPS)],
    };
    const db = env.database;
    const dbClients = pods(env, BACKEND.name, JOBS.migrate, JOBS.updateIndex);
    const toDatabase: k8s.NetworkPolicyEgressRule =
      db.mode === 'statefulset'
        ? { to: [{ podSelector: pods(env, DATABASE.name) }], ports: [tcp(DATABASE.port)] }
        : { to: [externalPeer(env, db)], ports: [tcp(db.port)] };

    this.policy('default-deny', {}, { ingress: [], egress: [] });
    this.policy('allow-dns', {}, {
      egress: [{ to: [inNamespace('kube-system')], ports: [{ protocol: 'UDP', port: k8s.IntOrString.fromNumber(53) }, tcp(53)] }],
    });
    this.policy(FRONTEND.name, pods(env, FRONTEND.name), {
      ingress: [{ from: [controller], ports: [tcp(FRONTEND.port)] }],
      egress: [{ to: [{ podSelector: pods(env, BACKEND.name) }], ports: [tcp(BACKEND.port)] }, internet],
    });
    this.policy(BACKEND.name, pods(env, BACKEND.name), {
      ingress: [{ from: [controller, { podSelector: pods(env, FRONTEND.name) }], ports: [tcp(BACKEND.port)] }],
      egress: [toDatabase, internet],
    });
    // Migrations need the database only; the index update also writes to Elasticsearch.
    this.policy(JOBS.migrate, pods(env, JOBS.migrate), { ingress: [], egress: [toDatabase] });
    this.policy(JOBS.updateIndex, pods(env, JOBS.updateIndex), { ingress: [], egress: [toDatabase, internet] });
    if (db.mode === 'statefulset') {
      this.policy(DATABASE.name, pods(env, DATABASE.name), {
        ingress: [{ from: [{ podSelector: dbClients }], ports: [tcp(DATABASE.port)] }],
        egress: [],
      });
    } else if ('podLabels' in db.peer && (db.peer.namespace ?? env.namespace) === env.namespace) {
      // An operator-managed database in this namespace falls under the default deny too: let our clients in.
      // Its operator's own traffic (instance manager, replication, backups) needs the policies it documents.
      this.policy('external-db', { matchLabels: { ...db.peer.podLabels } }, { ingress: [{ from: [{ podSelector: dbClients }], ports: [tcp(db.port)] }] }, {
        [EXTERNAL_PODS_ANNOTATION]: 'true',
      });
    }
    const restart = env.jobs.restartBackend;
    if (restart) {
      this.policy(JOBS.restart, pods(env, JOBS.restart), {
        ingress: [],
        egress: [{ to: [{ ipBlock: { cidr: restart.apiServer.cidr } }], ports: [tcp(restart.apiServer.port)] }],
      });
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
    new Manifest(this, name, k8s.KubeNetworkPolicy, {
      metadata: meta({ name, namespace: this.env.namespace, component: 'network' }, name, annotations),
      spec: {
        podSelector,
        policyTypes: types,
        ...(rules.ingress?.length ? { ingress: rules.ingress } : {}),
        ...(rules.egress?.length ? { egress: rules.egress } : {}),
      },
    });
  }
}
