/**
 * Reachability is declared by each workload and the NetworkPolicies are derived from the declarations:
 * built here from the constructs alone, as a maintainer adding a workload would build it.
 */
import { App, Chart } from 'cdk8s';
import { Database } from '../../lib/chart/database';
import { k8s } from '../../lib/chart/k8s';
import { DNS, https, NetworkPolicies, Reachability } from '../../lib/chart/network';
import { selectorLabels } from '../../lib/chart/labels';
import { DATABASE } from '../../lib/config/images';
import { databaseSecretEnv } from '../../lib/config/secrets';
import { Obj, objectsOf, workloads, podTemplate, DEMO, PRODUCTION } from '../helpers';
import { allowed, Endpoint } from '../netpol';

const NS = DEMO.namespace;
const PLACEMENT = { namespace: NS, instance: NS };
const pod = (name: string): Endpoint => ({ namespace: NS, labels: selectorLabels(name, PLACEMENT) });
const kubeDns: Endpoint = { namespace: 'kube-system', labels: { 'k8s-app': 'kube-dns' } };

/** A chart with the database and two new jobs: one that declares it reaches the database, one that does not. */
function chartWithNewJobs(): Obj[] {
  const chart = new Chart(new App(), 'jobs');
  if (DEMO.database.mode !== 'statefulset') throw new Error('the demo runs its own database');
  const db = new Database(chart, 'db', { placement: PLACEMENT, config: DEMO.database, secretEnv: databaseSecretEnv(DEMO) });
  new Reachability(chart, 'clear-cache', { name: 'ov-wag-clear-cache', reaches: [DNS, db.endpoint] });
  new Reachability(chart, 'report', { name: 'ov-wag-report', reaches: [DNS, https(DEMO.network.egressCidrs)] });
  new NetworkPolicies(chart, 'network', { placement: PLACEMENT });
  return chart.toJson() as Obj[];
}

describe('a new workload', () => {
  const objects = chartWithNewJobs();

  test('that declares the database reaches it, on its port only', () => {
    expect(allowed(objects, pod('ov-wag-clear-cache'), pod(DATABASE.name), DATABASE.port)).toBe(true);
    expect(allowed(objects, pod('ov-wag-clear-cache'), pod(DATABASE.name), DATABASE.port + 1)).toBe(false);
    expect(allowed(objects, pod('ov-wag-clear-cache'), kubeDns, 53, 'UDP')).toBe(true);
  });

  test('that does not declare the database is denied it, though it may reach what it declared', () => {
    expect(allowed(objects, pod('ov-wag-report'), pod(DATABASE.name), DATABASE.port)).toBe(false);
    expect(allowed(objects, pod('ov-wag-report'), { ip: '52.1.2.3' }, 443)).toBe(true);
  });

  test('that declares nothing gets nothing, not even DNS', () => {
    const chart = new Chart(new App(), 'silent');
    new Reachability(chart, 'silent', { name: 'silent' });
    new NetworkPolicies(chart, 'network', { placement: PLACEMENT });
    const o = chart.toJson() as Obj[];
    expect(allowed(o, pod('silent'), kubeDns, 53, 'UDP')).toBe(false);
  });

  test('is let in from outside only where it admits so, on its own port', () => {
    const chart = new Chart(new App(), 'admits');
    const controller: k8s.NetworkPolicyPeer = { namespaceSelector: { matchLabels: { 'kubernetes.io/metadata.name': 'edge' } } };
    new Reachability(chart, 'web', { name: 'web', admits: [{ from: controller, port: 8080 }] });
    new NetworkPolicies(chart, 'network', { placement: PLACEMENT });
    const o = chart.toJson() as Obj[];
    expect(allowed(o, { namespace: 'edge', labels: {} }, pod('web'), 8080)).toBe(true);
    expect(allowed(o, { namespace: 'edge', labels: {} }, pod('web'), 8081)).toBe(false);
    expect(allowed(o, { namespace: 'elsewhere', labels: {} }, pod('web'), 8080)).toBe(false);
  });
});

describe.each([PRODUCTION, DEMO])('the chart of $namespace', (env) => {
  test('every workload has a policy of its own, named after its pods', () => {
    const objects = objectsOf(env);
    const policies = new Set(objects.filter((o) => o.kind === 'NetworkPolicy').map((o) => o.metadata.name));
    for (const w of workloads(objects)) expect(policies).toContain(podTemplate(w).metadata.labels['app.kubernetes.io/name']);
  });
});
