/** Small readers over synthesized objects and output folders, shared by the tests. */
import * as fs from 'node:fs';
import * as path from 'node:path';
import { Environment } from '../lib/config/types';
import { ENVIRONMENTS } from '../lib/config/environments';
import { KubeObject } from '../lib/objects/kube-object';
import { buildObjects } from '../lib/synth/render';

export type Obj = KubeObject & { spec?: any; data?: any };

const cache = new Map<Environment, Obj[]>();

/** The objects of an environment's chart (built once per environment per test file). */
export function objectsOf(env: Environment): Obj[] {
  if (!cache.has(env)) cache.set(env, buildObjects(env) as Obj[]);
  return cache.get(env)!;
}

export const [PRODUCTION, DEMO] = ENVIRONMENTS;

export function find(objects: readonly Obj[], kind: string, name: string): Obj {
  const found = objects.find((o) => o.kind === kind && o.metadata.name === name);
  if (!found) throw new Error(`no ${kind}/${name} in ${objects.map((o) => `${o.kind}/${o.metadata.name}`).join(', ')}`);
  return found;
}

export const ofKind = (objects: readonly Obj[], kind: string) => objects.filter((o) => o.kind === kind);

/** The pod template of a workload, wherever its kind keeps it. */
export function podTemplate(o: Obj): any {
  return o.kind === 'CronJob' ? o.spec.jobTemplate.spec.template : o.spec?.template;
}

export const WORKLOAD_KINDS = ['Deployment', 'StatefulSet', 'Job', 'CronJob'];

export function workloads(objects: readonly Obj[]): Obj[] {
  return objects.filter((o) => WORKLOAD_KINDS.includes(o.kind));
}

/** Every container of a pod spec, init containers included. */
export function containers(podSpec: any): any[] {
  return [...(podSpec.initContainers ?? []), ...podSpec.containers];
}

export function matches(selector: Record<string, string>, labels: Record<string, string> = {}): boolean {
  return Object.entries(selector).every(([k, v]) => labels[k] === v);
}

/** The environment with some fields replaced, for tests that build variants. */
export function variant(base: Environment, patch: Partial<Environment>): Environment {
  return { ...base, ...patch };
}

/** Every file under `dir` (relative path → text), sorted: to compare output folders byte for byte. */
export function tree(dir: string): Record<string, string> {
  return Object.fromEntries(
    fs.readdirSync(dir, { recursive: true, withFileTypes: true })
      .filter((e) => e.isFile())
      .map((e) => path.join(e.parentPath, e.name))
      .sort()
      .map((f) => [path.relative(dir, f), fs.readFileSync(f, 'utf8')]),
  );
}
