/** What a synth hands to GitOps besides the manifests: the Argo CD Applications and the topology pages. */
import { load } from 'js-yaml';
import { ENVIRONMENTS } from '../../lib/config/environments';
import { BACKEND, BACKEND_PATHS, DATABASE, FRONTEND, HTTP_PORT_NAME, JOBS, SERVICE_PORT } from '../../lib/config/images';
import { Environment } from '../../lib/config/types';
import { manifestFile, MANIFEST_DIR } from '../../lib/chart/argocd';
import { applicationObject, filesOf, renderEnvironment } from '../../lib/synth/render';
import { renderTopology } from '../../lib/report/topology/page';
import { findViolations } from '../../lib/synth/validate';
import { adopted, CONTRACT, objectsOf, ofKind, PRODUCTION } from '../helpers';

/** The diagram of a topology page as `from --> label --> to` lines between node labels (what a reader sees, not the ids). */
function edgesOf(page: string): string[] {
  const diagram = /```mermaid\n([\s\S]*?)\n```/.exec(page)?.[1] ?? '';
  const labels = new Map([...diagram.matchAll(/^\s*(\S+)\["([^"]*)"\]$/gm)].map((m) => [m[1], m[2]]));
  return [...diagram.matchAll(/^\s*(\S+) (-->|-\.->)\|"([^"]*)"\| (\S+)$/gm)].map((m) => `${labels.get(m[1])} ${m[2]} ${m[3]} ${m[2]} ${labels.get(m[4])}`);
}

describe.each(ENVIRONMENTS.map((env) => [env.namespace, env] as const))('%s', (namespace, env: Environment) => {
  test('its Application syncs only its own file from this repository, with prune and self-heal', () => {
    const a = adopted(env);
    const app = applicationObject(a) as any;
    expect(app.apiVersion).toBe('argoproj.io/v1alpha1');
    expect(app.kind).toBe('Application');
    expect(app.metadata).toMatchObject({ name: namespace, namespace: a.gitops.namespace });
    expect(app.spec).toEqual({
      project: a.gitops.project,
      source: {
        repoURL: a.gitops.repoURL,
        targetRevision: a.gitops.targetRevision,
        path: MANIFEST_DIR,
        directory: { include: manifestFile(namespace), recurse: false },
      },
      destination: { server: 'https://kubernetes.default.svc', namespace },
      syncPolicy: {
        automated: { prune: true, selfHeal: true },
        syncOptions: ['CreateNamespace=false'],
        retry: { limit: 5, backoff: { duration: '10s', factor: 2, maxDuration: '3m' } },
      },
    });
    const file = filesOf(renderEnvironment(a), false).find((f) => f.path === `argocd/${namespace}.yaml`);
    expect(load(file!.content)).toEqual(app);
    expect(findViolations([app])).toEqual([]);
  });

  test('its topology page is generated from the objects: hosts, routes, workloads, jobs and allowed traffic', () => {
    const page = renderTopology(namespace, objectsOf(env));
    expect(page).toContain('```mermaid\nflowchart LR\n');
    const edges = edgesOf(page);
    const host = `${env.host}${env.ingress.tls.mode === 'off' ? '' : ' (TLS)'}`;
    const policy = (from: string, port: number, to: string) => `${from} -.-> TCP ${port} -.-> ${to}`;
    const job = `Job ${ofKind(objectsOf(env), 'Job')[0].metadata.name}`;
    const db = `StatefulSet ${DATABASE.name}`;
    expect(edges).toEqual(expect.arrayContaining([
      `${host} --> / --> Service ${FRONTEND.name}`,
      `${host} --> ${BACKEND_PATHS.join(', ')} --> Service ${BACKEND.name}`,
      `Service ${FRONTEND.name} --> ${SERVICE_PORT}→${HTTP_PORT_NAME} --> Deployment ${FRONTEND.name}`,
      policy(`Deployment ${FRONTEND.name}`, CONTRACT.backend.port, `Deployment ${BACKEND.name}`),
      policy(`Deployment ${BACKEND.name}`, CONTRACT.database.port, db),
      policy(job, CONTRACT.database.port, db),
      policy(`CronJob ${JOBS.updateIndex}, schedule ${env.jobs.updateIndex.schedule}`, CONTRACT.database.port, db),
    ]));
    const controller = env.ingress.controller;
    const fromController = edges.filter((e) => e.endsWith(` -.-> TCP ${CONTRACT.frontend.port} -.-> Deployment ${FRONTEND.name}`));
    expect(fromController).toEqual([expect.stringContaining(`in namespace ${controller.namespace}`)]);
    for (const [k, v] of Object.entries(controller.podLabels)) expect(fromController[0]).toContain(`${k}=${v}`);
    expect(edges.filter((e) => e.startsWith(`${job} -.-> TCP 443`))).toEqual([]);
  });
});

test('a restart job shows with its path to the API server', () => {
  const { schedule, apiServer } = PRODUCTION.jobs.restartBackend!;
  expect(edgesOf(renderTopology(PRODUCTION.namespace, objectsOf(PRODUCTION)))).toContain(
    `CronJob ${JOBS.restart}, schedule ${schedule} -.-> TCP ${apiServer.port} -.-> ${apiServer.cidr}`,
  );
});
