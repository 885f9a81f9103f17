/** The Argo CD Application that keeps one namespace in sync with its manifest file in git. */
import { Chart } from 'cdk8s';
import { Construct } from 'constructs';
import { Application } from '../../imports/argoproj.io';
import { GitOpsConfig } from '../config/types';
import { labels } from './labels';

/** Namespace Argo CD runs in, where Applications live. */
export const ARGOCD_NAMESPACE = 'argocd';
/** The folder of this repository that holds the manifests. */
export const MANIFEST_DIR = 'dist';

export const manifestFile = (namespace: string) => `${namespace}.k8s.yaml`;

export interface ArgoCdApplicationProps {
  /** The environment's namespace: the Application's name and its destination. */
  readonly namespace: string;
  /** Where Argo CD reads this repository. */
  readonly gitops: GitOpsConfig;
}

/** A chart of its own: the Application lives in Argo CD's namespace, not in the environment's file. */
export class ArgoCdApplication extends Chart {
  constructor(scope: Construct, id: string, props: ArgoCdApplicationProps) {
    super(scope, id);
    const { namespace, gitops } = props;
    new Application(this, 'application', {
      metadata: {
        name: namespace,
        namespace: ARGOCD_NAMESPACE,
        labels: labels({ name: 'open-vault', namespace, component: 'gitops' }),
      },
      spec: {
        project: gitops.project ?? 'default',
        source: {
          repoUrl: gitops.repoURL,
          targetRevision: gitops.targetRevision,
          path: MANIFEST_DIR,
          // Only this namespace's file: not the other environments, the topology pages or the Applications.
          directory: { include: manifestFile(namespace), recurse: false },
        },
        destination: { server: 'https://kubernetes.default.svc', namespace },
        syncPolicy: {
          automated: { prune: true, selfHeal: true },
          // The Namespace object is in the manifest itself.
          syncOptions: ['CreateNamespace=false'],
          retry: { limit: 5, backoff: { duration: '10s', factor: 2, maxDuration: '3m' } },
        },
      },
    });
  }
}
