/**
 * What Argo CD syncs from this repository: an Application per namespace, for its manifest file, and an
 * ApplicationSet that makes an Application per preview folder, so that removing a preview's folder prunes it.
 */
import { ApiObject, Chart } from 'cdk8s';
import { Construct } from 'constructs';
import { Application } from '../../imports/argoproj.io';
import { GitOpsConfig } from '../config/types';
import { labels } from './labels';

/** The folder of this repository that holds the manifests. */
export const MANIFEST_DIR = 'dist';

export const manifestFile = (namespace: string) => `${namespace}.k8s.yaml`;

/** The folder of each preview under MANIFEST_DIR: one per preview, which the ApplicationSet lists. */
export const PREVIEW_DIR = 'previews';
export const previewFile = (instance: string) => `${PREVIEW_DIR}/${instance}/${manifestFile(instance)}`;

const SYNC_POLICY = {
  automated: { prune: true, selfHeal: true },
  // The Namespace object is in the namespace's own manifest.
  syncOptions: ['CreateNamespace=false'],
  retry: { limit: 5, backoff: { duration: '10s', factor: 2, maxDuration: '3m' } },
};

/** An Argo CD object of this repository: in Argo CD's namespace, labelled for the namespace it deploys. */
function gitopsMeta(name: string, namespace: string, gitops: GitOpsConfig) {
  return { name, namespace: gitops.namespace, labels: labels({ name: 'open-vault', placement: { namespace, instance: namespace }, component: 'gitops' }) };
}

const destination = (namespace: string) => ({ server: 'https://kubernetes.default.svc', namespace });

/** Where Argo CD reads this repository, once the operators have said where it is. */
export type AdoptedGitOps = GitOpsConfig & { readonly repoURL: string };

export interface ArgoCdApplicationProps {
  /** The environment's namespace: the Application's name and its destination. */
  readonly namespace: string;
  readonly gitops: AdoptedGitOps;
}

/** A chart of its own: the Application lives in Argo CD's namespace, not in the environment's file. */
export class ArgoCdApplication extends Chart {
  constructor(scope: Construct, id: string, props: ArgoCdApplicationProps) {
    super(scope, id);
    const { namespace, gitops } = props;
    new Application(this, 'application', {
      metadata: gitopsMeta(namespace, namespace, gitops),
      spec: {
        project: gitops.project,
        source: {
          repoUrl: gitops.repoURL,
          targetRevision: gitops.targetRevision,
          path: MANIFEST_DIR,
          // Only this namespace's file: not the other environments, the topology pages or the Applications.
          directory: { include: manifestFile(namespace), recurse: false },
        },
        destination: destination(namespace),
        syncPolicy: SYNC_POLICY,
      },
    });
  }
}

export interface PreviewApplicationSetProps {
  /** The namespace the previews live in (the demo's). */
  readonly namespace: string;
  readonly gitops: AdoptedGitOps;
}

/**
 * An Application per folder under dist/previews (git directory generator, ov-deploy dev/ov-stage.yaml does the
 * same per pull request). Validated against the vendored ApplicationSet CRD at synth, rather than typed by a
 * 3 MB generated class.
 */
export class PreviewApplicationSet extends Chart {
  constructor(scope: Construct, id: string, props: PreviewApplicationSetProps) {
    super(scope, id);
    const { namespace, gitops } = props;
    new ApiObject(this, 'previews', {
      apiVersion: 'argoproj.io/v1alpha1',
      kind: 'ApplicationSet',
      metadata: gitopsMeta(`${namespace}-previews`, namespace, gitops),
      spec: {
        goTemplate: true,
        goTemplateOptions: ['missingkey=error'],
        generators: [{ git: { repoURL: gitops.repoURL, revision: gitops.targetRevision, directories: [{ path: `${MANIFEST_DIR}/${PREVIEW_DIR}/*` }] } }],
        template: {
          metadata: {
            name: '{{.path.basename}}',
            // Deleting the Application deletes the preview's objects.
            finalizers: ['resources-finalizer.argocd.argoproj.io'],
          },
          spec: {
            project: gitops.project,
            source: { repoURL: gitops.repoURL, targetRevision: gitops.targetRevision, path: '{{.path.path}}' },
            destination: destination(namespace),
            syncPolicy: SYNC_POLICY,
          },
        },
        syncPolicy: { preserveResourcesOnDeletion: false },
      },
    });
  }
}
