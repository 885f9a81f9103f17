/** What a synth hands to GitOps besides the manifests: the Argo CD Applications and the topology pages. */
import { load } from 'js-yaml';
import { applicationObject, renderEnvironment } from '../../lib/synth/render';
import { renderTopology } from '../../lib/report/topology/page';
import { findViolations } from '../../lib/synth/validate';
import { DEMO, objectsOf, PRODUCTION } from '../helpers';

describe.each([['ov', PRODUCTION], ['ov-demo', DEMO]] as const)('%s', (namespace, env) => {
  test('its Application syncs only its own file from this repository, with prune and self-heal', () => {
    const app = applicationObject(env) as any;
    expect(app.apiVersion).toBe('argoproj.io/v1alpha1');
    expect(app.kind).toBe('Application');
    expect(app.metadata).toMatchObject({ name: namespace, namespace: 'argocd' });
    expect(app.spec).toEqual({
      project: 'default',
      source: {
        repoURL: env.gitops.repoURL,
        targetRevision: env.gitops.targetRevision,
        path: 'dist',
        directory: { include: `${namespace}.k8s.yaml`, recurse: false },
      },
      destination: { server: 'https://kubernetes.default.svc', namespace },
      syncPolicy: {
        automated: { prune: true, selfHeal: true },
        syncOptions: ['CreateNamespace=false'],
        retry: { limit: 5, backoff: { duration: '10s', factor: 2, maxDuration: '3m' } },
      },
    });
    expect(load(renderEnvironment(env).application)).toEqual(app);
    expect(findViolations([app])).toEqual([]);
  });

  test('its topology page is generated from the objects: hosts, routes, workloads, jobs and allowed traffic', () => {
    const page = renderTopology(namespace, objectsOf(env));
    expect(page).toContain('```mermaid\nflowchart LR\n');
    const host = `host_${env.host.replace(/[^A-Za-z0-9]/g, '_')}`;
    expect(page).toContain(`${host} -->|"/"| service_ov_frontend`);
    expect(page).toContain(`${host} -->|"/admin, /accounts, /authorize, /login, /logout"| service_ov_wag`);
    expect(page).toContain('service_ov_frontend -->|"80→http"| deployment_ov_frontend');
    expect(page).toContain('deployment_ov_frontend -.->|"TCP 8000"| deployment_ov_wag');
    expect(page).toContain('deployment_ov_wag -.->|"TCP 5432"| statefulset_db');
    expect(page).toContain('job_ov_wag_migrate_v1_1_0 -.->|"TCP 5432"| statefulset_db');
    expect(page).toContain('namespace_ingress_nginx -.->|"TCP 3000"| deployment_ov_frontend');
    expect(page).toContain('CronJob ov-wag-update-index, schedule 0 8 * * *');
    expect(page).not.toMatch(/job_ov_wag_migrate_v1_1_0 -.->\|"TCP 443"\|/);
  });
});

test('a restart job shows with its path to the API server', () => {
  expect(renderTopology('ov', objectsOf(PRODUCTION))).toMatch(/cronjob_ov_wag_restart -\.->\|"TCP 443"\| cidr_10_0_0_0_8/);
});
