/**
 * From an environment to the text of its files, in memory: build the chart, validate every
 * object, serialize. Nothing here touches the file system, so a failure can never leave a file
 * half-written.
 */
import { ApiObject, App } from 'cdk8s';
import { Environment } from './config';
import { OpenVault } from './chart';
import { KubeObject } from './objects';
import { assertValid } from './validate';
import { toYaml } from './yaml';

export interface Rendered {
  readonly env: Environment;
  readonly objects: readonly KubeObject[];
  /** The manifest file, every object of the environment as one YAML stream. */
  readonly yaml: string;
}

/**
 * The objects of one environment's chart. A fresh App each: one shared App would re-resolve every chart
 * on each synth. `Chart.toJson()` orders the objects by their dependencies and renders each with its
 * `toJson()`; with no dependency declared, that order is construct order, so the dependency graph is
 * not built (a test holds the two equal).
 */
export function buildObjects(env: Environment): KubeObject[] {
  const chart = new OpenVault(new App(), env.namespace, { env });
  const constructs = chart.node.findAll();
  if (constructs.some((c) => c.node.dependencies.length > 0)) return chart.toJson() as KubeObject[];
  return constructs.filter(ApiObject.isApiObject).map((o) => o.toJson() as KubeObject);
}

/** Builds, validates (throws ValidationError) and serializes one environment. */
export function renderEnvironment(env: Environment): Rendered {
  const objects = buildObjects(env);
  assertValid(objects);
  return { env, objects, yaml: toYaml(...objects) };
}
