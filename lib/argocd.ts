/** The Argo CD Application that keeps one namespace in sync with its manifest file in git. */
import { App, Chart } from 'cdk8s';
import { Application } from '../imports/argoproj.io';
import { Environment } from './config';
import { labels } from './labels';
import { Manifest } from './k8s';
import { KubeObject } from './objects';
import { toYaml } from './yaml';

/** Namespace Argo CD runs in, where Applications live. */
export const ARGOCD_NAMESPACE = 'argocd';
/** The folder of this repository that holds the manifests. */
export const MANIFEST_DIR = 'dist';

export const manifestFile = (namespace: string) => `${namespace}.k8s.yaml`;

export function applicationObject(env: Environment): KubeObject {
  const chart = new Chart(new App(), 'argocd');
  new Manifest(chart, 'application', Application, {
    metadata: {
      name: env.namespace,
      namespace: ARGOCD_NAMESPACE,
      labels: labels({ name: 'open-vault', namespace: env.namespace, component: 'gitops' }),
    },
    spec: {
      project: env.gitops.project ?? 'default',
      source: {
        repoUrl: env.gitops.repoURL,
        targetRevision: env.gitops.targetRevision,
        path: MANIFEST_DIR,
        // Only this namespace's file: not the other environments, the topology pages or the Applications.
        directory: { include: manifestFile(env.namespace), recurse: false },
      },
      destination: { server: 'https://kubernetes.default.svc', namespace: env.namespace },
      syncPolicy: {
        automated: { prune: true, selfHeal: true },
        // The Namespace object is in the manifest itself.
        syncOptions: ['CreateNamespace=false'],
        retry: { limit: 5, backoff: { duration: '10s', factor: 2, maxDuration: '3m' } },
      },
    },
  });
  return chart.toJson()[0] as KubeObject;
}

export function applicationYaml(env: Environment): string {
  return toYaml(applicationObject(env));
}
