/**
 * From an environment to the text of its files, in memory: build the chart, validate every
 * object, serialize. Nothing here touches the file system, so a failure can never leave a file
 * half-written.
 */
import { App } from 'cdk8s';
import { ArgoCdApplication } from '../chart/argocd';
import { OpenVault } from '../chart/open-vault';
import { Environment } from '../config/types';
import { KubeObject } from '../objects/kube-object';
import { assertValid } from './validate';
import { toYaml } from './yaml';

export interface Rendered {
  readonly env: Environment;
  readonly objects: readonly KubeObject[];
  /** The manifest file, every object of the environment as one YAML stream. */
  readonly yaml: string;
  /** The Argo CD Application that syncs it. */
  readonly application: string;
}

/** The objects of one environment's chart, as cdk8s renders them. A fresh App each: charts of one App are resolved together. */
export function buildObjects(env: Environment): KubeObject[] {
  return new OpenVault(new App(), env.namespace, { env }).toJson() as KubeObject[];
}

/** The environment's Argo CD Application. */
export function applicationObject(env: Environment): KubeObject {
  return new ArgoCdApplication(new App(), 'argocd', { namespace: env.namespace, gitops: env.gitops }).toJson()[0] as KubeObject;
}

/** Builds, validates (throws ValidationError) and serializes one environment. */
export function renderEnvironment(env: Environment): Rendered {
  const objects = buildObjects(env);
  assertValid(objects);
  return { env, objects, yaml: toYaml(...objects), application: toYaml(applicationObject(env)) };
}
