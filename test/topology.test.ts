import type { KubeObject } from '../lib/objects/kube-object';
import { renderTopology } from '../lib/report/topology/page';
import { allowed } from '../lib/report/network-policy';

const NS = 'ov';
const NAME = 'app.kubernetes.io/name';

function meta(name: string, labels?: Record<string, string>): KubeObject['metadata'] {
  return labels ? { name, namespace: NS, labels } : { name, namespace: NS };
}

function podTemplate(name: string, image: string): Record<string, unknown> {
  return { metadata: { labels: { [NAME]: name } }, spec: { containers: [{ name, image }] } };
}

const ingress: KubeObject = {
  apiVersion: 'networking.k8s.io/v1',
  kind: 'Ingress',
  metadata: meta('ov'),
  spec: {
    ingressClassName: 'nginx',
    tls: [{ hosts: ['ov.example.org'], secretName: 'ov-tls' }],
    rules: [
      {
        host: 'ov.example.org',
        http: {
          paths: [
            { path: '/', pathType: 'Prefix', backend: { service: { name: 'ov-frontend', port: { name: 'http' } } } },
            { path: '/admin', pathType: 'Prefix', backend: { service: { name: 'ov-wag', port: { number: 8000 } } } },
            { path: '/accounts', pathType: 'Prefix', backend: { service: { name: 'ov-wag', port: { number: 8000 } } } },
          ],
        },
      },
    ],
  },
};

function service(name: string, port: number, targetPort: number | string, extra: Record<string, unknown> = {}): KubeObject {
  return {
    apiVersion: 'v1',
    kind: 'Service',
    metadata: meta(name),
    spec: { selector: { [NAME]: name }, ports: [{ name: 'http', port, targetPort }], ...extra },
  };
}

function deployment(name: string, image: string, replicas: number): KubeObject {
  return {
    apiVersion: 'apps/v1',
    kind: 'Deployment',
    metadata: meta(name, { [NAME]: name }),
    spec: { replicas, selector: { matchLabels: { [NAME]: name } }, template: podTemplate(name, image) },
  };
}

const db: KubeObject = {
  apiVersion: 'apps/v1',
  kind: 'StatefulSet',
  metadata: meta('db'),
  spec: { serviceName: 'db', replicas: 1, selector: { matchLabels: { [NAME]: 'db' } }, template: podTemplate('db', 'postgres:16') },
};

const cronJob: KubeObject = {
  apiVersion: 'batch/v1',
  kind: 'CronJob',
  metadata: meta('ov-wag-update-index'),
  spec: { schedule: '0 3 * * *', jobTemplate: { spec: { template: podTemplate('ov-wag-update-index', 'ghcr.io/wgbh-mla/ov_wag:v1') } } },
};

function policy(name: string, spec: Record<string, unknown>): KubeObject {
  return { apiVersion: 'networking.k8s.io/v1', kind: 'NetworkPolicy', metadata: meta(name), spec };
}

const defaultDeny = policy('default-deny', { podSelector: {}, policyTypes: ['Ingress', 'Egress'] });
const allowDns = policy('allow-dns', {
  podSelector: {},
  policyTypes: ['Egress'],
  egress: [
    {
      to: [{ namespaceSelector: { matchLabels: { 'kubernetes.io/metadata.name': 'kube-system' } } }],
      ports: [
        { protocol: 'UDP', port: 53 },
        { protocol: 'TCP', port: 53 },
      ],
    },
  ],
});
const fromIngressController = policy('allow-ingress-controller', {
  podSelector: { matchExpressions: [{ key: NAME, operator: 'In', values: ['ov-frontend', 'ov-wag'] }] },
  policyTypes: ['Ingress'],
  ingress: [
    {
      from: [{ namespaceSelector: { matchLabels: { 'kubernetes.io/metadata.name': 'ingress-nginx' } } }],
      ports: [
        { protocol: 'TCP', port: 3000 },
        { protocol: 'TCP', port: 8000 },
      ],
    },
  ],
});
const frontendToWag = policy('ov-wag-from-frontend', {
  podSelector: { matchLabels: { [NAME]: 'ov-wag' } },
  policyTypes: ['Ingress'],
  ingress: [{ from: [{ podSelector: { matchLabels: { [NAME]: 'ov-frontend' } } }], ports: [{ protocol: 'TCP', port: 8000 }] }],
});
const wagToDb = policy('db-from-ov-wag', {
  podSelector: { matchLabels: { [NAME]: 'db' } },
  policyTypes: ['Ingress'],
  ingress: [
    {
      from: [{ podSelector: { matchExpressions: [{ key: NAME, operator: 'In', values: ['ov-wag', 'ov-wag-update-index'] }] } }],
      ports: [{ protocol: 'TCP', port: 5432 }],
    },
  ],
});
const httpsOut = policy('ov-wag-egress-https', {
  podSelector: { matchLabels: { [NAME]: 'ov-wag' } },
  policyTypes: ['Egress'],
  egress: [{ to: [{ ipBlock: { cidr: '0.0.0.0/0' } }], ports: [{ protocol: 'TCP', port: 443 }] }],
});

const fixture: readonly KubeObject[] = [
  ingress,
  service('ov-frontend', 3000, 'http'),
  service('ov-wag', 8000, 8000),
  service('db', 5432, 5432, { clusterIP: 'None' }),
  deployment('ov-frontend', 'ghcr.io/wgbh-mla/ov-frontend:v2', 2),
  deployment('ov-wag', 'ghcr.io/wgbh-mla/ov_wag:v1', 1),
  db,
  cronJob,
  defaultDeny,
  allowDns,
  fromIngressController,
  frontendToWag,
  wagToDb,
  httpsOut,
];

/** Deterministic shuffle (a seeded LCG), so a failure can be reproduced. */
function shuffled<T>(items: readonly T[], seed: number): T[] {
  const out = [...items];
  let s = seed;
  for (let i = out.length - 1; i > 0; i--) {
    s = (s * 1103515245 + 12345) % 2147483648;
    const j = s % (i + 1);
    [out[i], out[j]] = [out[j] as T, out[i] as T];
  }
  return out;
}

function mermaid(page: string): string {
  const m = /```mermaid\n([\s\S]*?)\n```/.exec(page);
  if (!m?.[1]) throw new Error('no mermaid block');
  return m[1];
}

const page = renderTopology(NS, fixture);
const diagram = mermaid(page);
const diagramLines = diagram.split('\n').map((l) => l.trim());

describe('renderTopology', () => {
  test('heading, generated notice and a mermaid flowchart', () => {
    expect(page.startsWith('# Open Vault topology: ov\n')).toBe(true);
    expect(page).toMatch(/generated from the synthesized manifests; do not edit it by hand/);
    expect(diagram.split('\n')[0]).toBe('flowchart LR');
    expect(page.endsWith('\n')).toBe(true);
  });

  test('host node notes TLS; host → Service edges carry the grouped paths', () => {
    expect(diagramLines).toContain('host_ov_example_org["ov.example.org (TLS)"]');
    expect(diagramLines).toContain('host_ov_example_org -->|"/"| service_ov_frontend');
    expect(diagramLines).toContain('host_ov_example_org -->|"/admin, /accounts"| service_ov_wag');
  });

  test('a host without TLS is not marked', () => {
    const plain = { ...ingress, spec: { ...(ingress['spec'] as object), tls: [] } };
    expect(mermaid(renderTopology(NS, [plain]))).toContain('host_ov_example_org["ov.example.org"]');
  });

  test('Service → workload edges carry port→targetPort', () => {
    expect(diagramLines).toContain('service_ov_frontend -->|"3000→http"| deployment_ov_frontend');
    expect(diagramLines).toContain('service_ov_wag -->|"8000→8000"| deployment_ov_wag');
    expect(diagramLines).toContain('service_db -->|"5432→5432"| statefulset_db');
    expect(diagramLines).toContain('service_db["Service db (headless)"]');
  });

  test('a Service selects only workloads whose pod labels contain its selector', () => {
    const other = service('ov-frontend', 3000, 'http', { selector: { [NAME]: 'ov-frontend', tier: 'web' } });
    const d = mermaid(renderTopology(NS, [other, deployment('ov-frontend', 'img', 1)]));
    expect(d).not.toMatch(/service_ov_frontend -->/);
  });

  test('workloads sit in a namespace subgraph; the CronJob shows its schedule', () => {
    const start = diagramLines.indexOf('subgraph ns_ov ["namespace ov"]');
    const end = diagramLines.indexOf('end', start);
    expect(start).toBeGreaterThan(0);
    const inside = diagramLines.slice(start + 1, end);
    expect(inside).toContain('cronjob_ov_wag_update_index["CronJob ov-wag-update-index, schedule 0 3 * * *"]');
    expect(inside).toContain('deployment_ov_wag["Deployment ov-wag"]');
    expect(inside).toContain('statefulset_db["StatefulSet db"]');
    expect(inside).not.toContain('host_ov_example_org["ov.example.org (TLS)"]');
  });

  test('NetworkPolicy traffic is drawn as dotted edges labelled with ports', () => {
    expect(diagramLines).toContain('namespace_ingress_nginx["namespace ingress-nginx"]');
    expect(diagramLines).toContain('namespace_ingress_nginx -.->|"TCP 3000, TCP 8000"| deployment_ov_frontend');
    expect(diagramLines).toContain('namespace_ingress_nginx -.->|"TCP 3000, TCP 8000"| deployment_ov_wag');
    expect(diagramLines).toContain('deployment_ov_frontend -.->|"TCP 8000"| deployment_ov_wag');
    expect(diagramLines).toContain('deployment_ov_wag -.->|"TCP 443"| cidr_0_0_0_0_0');
    expect(diagramLines).toContain('cidr_0_0_0_0_0["0.0.0.0/0"]');
  });

  test('podSelector matchExpressions In picks the matching workloads, CronJobs included', () => {
    expect(diagramLines).toContain('deployment_ov_wag -.->|"TCP 5432"| statefulset_db');
    expect(diagramLines).toContain('cronjob_ov_wag_update_index -.->|"TCP 5432"| statefulset_db');
    expect(diagramLines).not.toContain('deployment_ov_frontend -.->|"TCP 5432"| statefulset_db');
  });

  test('NotIn, Exists and DoesNotExist select as Kubernetes does', () => {
    const withTier = (name: string, tier?: string): KubeObject => {
      const d = deployment(name, 'img', 1);
      const spec = d['spec'] as { template: { metadata: { labels: Record<string, string> } } };
      if (tier) spec.template.metadata.labels['tier'] = tier;
      return d;
    };
    const objects = [withTier('a', 'web'), withTier('b', 'db'), withTier('c')];
    const to = (expression: Record<string, unknown>): string[] => {
      const p = policy('p', {
        podSelector: { matchLabels: { [NAME]: 'target' } },
        policyTypes: ['Ingress'],
        ingress: [{ from: [{ podSelector: { matchExpressions: [expression] } }] }],
      });
      const target = deployment('target', 'img', 1);
      return mermaid(renderTopology(NS, [...objects, target, p]))
        .split('\n')
        .map((l) => l.trim())
        .filter((l) => l.includes('-.->'))
        .map((l) => l.split(' ')[0] as string)
        .filter((id) => id !== 'deployment_target');
    };
    expect(to({ key: 'tier', operator: 'NotIn', values: ['db'] })).toEqual(['deployment_a', 'deployment_c']);
    expect(to({ key: 'tier', operator: 'Exists' })).toEqual(['deployment_a', 'deployment_b']);
    expect(to({ key: 'tier', operator: 'DoesNotExist' })).toEqual(['deployment_c']);
  });

  test('policies with an empty podSelector become a note, not edges', () => {
    expect(page).toContain(
      '- All pods in namespace `ov`: default deny ingress and egress; DNS to namespace kube-system on UDP/TCP 53 ' +
        '(NetworkPolicies `allow-dns`, `default-deny`).',
    );
    expect(diagram).not.toContain('kube_system');
    expect(diagram).not.toMatch(/default.deny/);
  });

  test('routing edges are solid, policy edges dotted', () => {
    for (const l of diagramLines.filter((x) => x.includes('-->') || x.includes('-.->'))) {
      const isRouting = l.startsWith('host_') || l.startsWith('service_');
      expect([l, l.includes(isRouting ? '-->' : '-.->')]).toEqual([l, true]);
    }
  });

  test('the workload table lists kind, name, images and replicas or schedule', () => {
    expect(page).toContain('| Kind | Name | Image(s) | Replicas / schedule |');
    expect(page).toContain('| Deployment | ov-frontend | `ghcr.io/wgbh-mla/ov-frontend:v2` | 2 |');
    expect(page).toContain('| StatefulSet | db | `postgres:16` | 1 |');
    expect(page).toContain('| CronJob | ov-wag-update-index | `ghcr.io/wgbh-mla/ov_wag:v1` | schedule `0 3 * * *` |');
  });

  test('the same objects in any order give the same page', () => {
    for (const seed of [1, 7, 42, 1234]) {
      const order = shuffled(fixture, seed);
      expect(order.map((o) => o.metadata.name)).not.toEqual(fixture.map((o) => o.metadata.name));
      expect(renderTopology(NS, order)).toBe(page);
    }
    expect(renderTopology(NS, [...fixture].reverse())).toBe(page);
  });

  test('labels escape quotes and characters Mermaid would take as syntax', () => {
    const odd: KubeObject = {
      ...cronJob,
      metadata: meta('report'),
      spec: { ...(cronJob['spec'] as object), schedule: '"@daily" <5> | #1' },
    };
    const line = mermaid(renderTopology(NS, [odd]))
      .split('\n')
      .find((l) => l.includes('cronjob_report['));
    expect(line?.trim()).toBe('cronjob_report["CronJob report, schedule #quot;@daily#quot; #lt;5#gt; #124; #35;1"]');
  });

  test('node ids are sanitized and kept distinct', () => {
    const a = deployment('web.a', 'img', 1);
    const b = deployment('web-a', 'img', 1);
    const d = mermaid(renderTopology(NS, [b, a]));
    expect(d).toContain('deployment_web_a["Deployment web-a"]');
    expect(d).toContain('deployment_web_a_2["Deployment web.a"]');
  });

  test('page snapshot', () => {
    expect(page).toMatchSnapshot();
  });
});

/** The NetworkPolicy model the page draws from and the tests ask (lib/report/network-policy.ts), against the API's rules. */
describe('NetworkPolicy semantics', () => {
  const policy = (name: string, spec: Record<string, unknown>): KubeObject => ({ apiVersion: 'networking.k8s.io/v1', kind: 'NetworkPolicy', metadata: meta(name), spec });
  const web = { namespace: NS, labels: { [NAME]: 'web' } };
  const api = { namespace: NS, labels: { [NAME]: 'api' } };
  const other = { namespace: 'elsewhere', labels: { [NAME]: 'web' } };
  const denyAll = policy('deny', { podSelector: {}, policyTypes: ['Ingress', 'Egress'] });

  test('no policy allows everything; a default deny of both directions allows nothing', () => {
    expect(allowed([], web, api, 80)).toBe(true);
    expect(allowed([denyAll], web, api, 80)).toBe(false);
    expect(allowed([denyAll], other, { ip: '8.8.8.8' }, 443)).toBe(true); // another namespace's pods are not governed
  });

  test('policyTypes defaults: Ingress, and Egress too when egress rules are given', () => {
    const onlyIngress = policy('i', { podSelector: { matchLabels: { [NAME]: 'api' } } });
    expect(allowed([onlyIngress], web, api, 80)).toBe(false);
    expect(allowed([onlyIngress], api, web, 80)).toBe(true);
    const withEgress = policy('e', { podSelector: { matchLabels: { [NAME]: 'web' } }, egress: [{ to: [{ podSelector: { matchLabels: { [NAME]: 'api' } } }] }] });
    expect(allowed([withEgress], web, api, 80)).toBe(true);
    expect(allowed([withEgress], web, { ip: '8.8.8.8' }, 443)).toBe(false);
    expect(allowed([withEgress], api, web, 80)).toBe(false); // web's ingress is governed too, with no rule
  });

  test('ports: none listed is every port; a range with endPort; a protocol of its own; a named port by its name', () => {
    const to = (ports: unknown[] | undefined) => [denyAll, policy('p', { podSelector: {}, policyTypes: ['Ingress', 'Egress'], ingress: [{ ...(ports ? { ports } : {}) }], egress: [{}] })];
    expect(allowed(to(undefined), web, api, 12345)).toBe(true);
    expect(allowed(to([{ port: 8000, endPort: 8010 }]), web, api, 8010)).toBe(true);
    expect(allowed(to([{ port: 8000, endPort: 8010 }]), web, api, 8011)).toBe(false);
    expect(allowed(to([{ port: 53, protocol: 'UDP' }]), web, api, 53)).toBe(false);
    expect(allowed(to([{ port: 53, protocol: 'UDP' }]), web, api, 53, 'UDP')).toBe(true);
    expect(allowed(to([{ port: 'http' }]), web, api, 'http')).toBe(true);
  });

  test('peers: an ipBlock with its except; a namespace by its name label, all its pods unless a podSelector narrows them', () => {
    const egress = (to: unknown[]) => [policy('e', { podSelector: {}, policyTypes: ['Egress'], egress: [{ to }] })];
    const internet = egress([{ ipBlock: { cidr: '0.0.0.0/0', except: ['10.0.0.0/8'] } }]);
    expect(allowed(internet, web, { ip: '8.8.8.8' }, 443)).toBe(true);
    expect(allowed(internet, web, { ip: '10.1.2.3' }, 443)).toBe(false);
    expect(allowed(internet, web, api, 443)).toBe(false); // an ipBlock is no pod peer
    const byName = { namespaceSelector: { matchLabels: { 'kubernetes.io/metadata.name': 'elsewhere' } } };
    expect(allowed(egress([byName]), web, other, 80)).toBe(true);
    expect(allowed(egress([byName]), web, api, 80)).toBe(false);
    expect(allowed(egress([{ ...byName, podSelector: { matchLabels: { [NAME]: 'api' } } }]), web, other, 80)).toBe(false);
  });
});
