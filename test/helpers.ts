/** Small readers over synthesized objects and output folders, shared by the tests. */
import * as fs from 'node:fs';
import * as path from 'node:path';
import { ControllerConfig, Environment, EnvironmentInput, environmentProblems, parseEnvironment } from '../lib/config/types';
import { ENVIRONMENTS, NAMESPACES, PREVIEW_HOME, PREVIEWS, REPO_URL, STATE } from '../lib/config/environments';
import { DECLARED_RELEASES } from '../lib/config/images';
import { manifestFile, previewFile } from '../lib/chart/argocd';
import { KubeObject } from '../lib/objects/kube-object';
import { buildObjects } from '../lib/synth/render';

export type Obj = KubeObject & { spec?: any; data?: any };

const cache = new Map<Environment, Obj[]>();

/** The objects of an environment's chart (built once per environment per test file). */
export function objectsOf(env: Environment): Obj[] {
  if (!cache.has(env)) cache.set(env, buildObjects(env) as Obj[]);
  return cache.get(env)!;
}

/** The registered environments; tests that hold for every one of them iterate over ENVIRONMENTS instead. */
export const [PRODUCTION, DEMO] = ENVIRONMENTS;

/**
 * What this project promises the outside world, and the only values tests state as literals: the ports,
 * paths and users of the images (they serve and run as these whatever lib/ says), the seed's valid
 * namespaces, the public host, and the exit codes of README, Command line (the Secret catalogue and the
 * backend's public paths are read from the README itself: `readmeSecrets`, `readmeBackendPaths`). Everything else a test
 * expects is derived from lib/ and the registry, so a tag, a replica count or a new namespace changes
 * no test but the committed dist/ (test/cli/entry-points.ts).
 */
export const CONTRACT = {
  /** ghcr.io/wgbh-mla/ov-frontend: Remix on 3000, its health route, its own `remix` user. */
  frontend: { port: 3000, healthPath: '/health', user: 1001 },
  /** ghcr.io/wgbh-mla/ov-wag: gunicorn on 8000, the Wagtail API's health route. */
  backend: { port: 8000, healthPath: '/api/v2/health/' },
  /** postgres:16-alpine: the server's port and the alpine image's `postgres` user. */
  database: { port: 5432, user: 70 },
  /** The kubectl image is built on distroless: its `nonroot` user. */
  kubectl: { user: 65532 },
  /** The seed's namespaces; others may be registered. */
  namespaces: ['ov', 'ov-demo'],
  productionHost: 'openvault.wgbh.org',
  /** README, Command line: "Exit codes of every command: `0` done; `1` ... validation; `2` a bad option ...; `3` the machine refused; `70` a fault of this program". */
  exit: { done: 0, invalid: 1, usage: 2, machine: 3, internal: 70 },
} as const;

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

/** `base` behind the other kind of ingress controller, or the named one, with that controller's defaults. */
export function withController(base: Environment, kind: ControllerConfig['kind']): Environment {
  return parseEnvironment({ ...base, ingress: { ...base.ingress, controller: { kind } } });
}

/**
 * A declared backend release the registry accepts for `env`, other than the one it runs: the newest older one
 * where there is one (a rollback), else the newest. Tests that release a tag take it from here, not from today's pins.
 */
export function olderBackendRelease(env: Environment): string {
  const declared = DECLARED_RELEASES.backend;
  const accepted = declared.filter((tag) => tag !== env.backend.tag && environmentProblems({ ...env, backend: { ...env.backend, tag } }).length === 0);
  const own = declared.indexOf(env.backend.tag);
  const tag = accepted.filter((t) => declared.indexOf(t) < own).at(-1) ?? accepted.at(-1);
  if (!tag) throw new Error(`no declared backend release but ${env.backend.tag} is accepted for ${env.namespace}`);
  return tag;
}

/** A pull-request number that no committed preview has and whose build none of `tags` is (`pr-<n>`). */
export function unusedNumber(tags: readonly string[]): number {
  for (let n = 195; ; n++) if (!tags.includes(`pr-${n}`) && !STATE.previews.some((p) => p.number === n)) return n;
}

/** A copy of the registry entry `env` with the value at a dotted path (`a.b[0].c`) replaced, or removed when undefined. */
export function withValue(env: EnvironmentInput, path: string, value: unknown): EnvironmentInput {
  const copy = structuredClone(env) as Record<string, unknown>;
  const keys = path.replace(/\[(\d+)\]/g, '.$1').split('.');
  let node: any = copy;
  for (const k of keys.slice(0, -1)) node = node[k];
  if (value === undefined) delete node[keys.at(-1)!];
  else node[keys.at(-1)!] = value;
  return copy as EnvironmentInput;
}

/**
 * `base` with an operator-managed (CloudNativePG) database in its namespace, as README, Operating,
 * describes it, and a remote key for its password Secret when `base` has a secret store.
 */
export function externalDatabase(base: Environment): Environment {
  return variant(base, {
    database: {
      mode: 'external', host: 'ov-db-cluster-rw', port: CONTRACT.database.port, name: 'ov', user: 'ov',
      password: { name: 'ov-db-cluster-app', key: 'password' }, peer: { podLabels: { 'cnpg.io/cluster': 'ov-db-cluster' } },
    },
    externalSecrets: base.externalSecrets && {
      ...base.externalSecrets,
      // The operator's Secret replaces ov-db.
      secrets: Object.fromEntries([
        ...Object.entries(base.externalSecrets.secrets).filter(([name]) => name !== 'ov-db'),
        ['ov-db-cluster-app', { remoteKey: `openvault/${base.namespace}/db`, properties: { password: 'password' } }],
      ]),
    },
  });
}

/**
 * The files a synth of `namespaces` writes, in the order `tree` lists them: each namespace's manifest, page and
 * Application; with the previews' namespace, their ApplicationSet and each committed preview's folder.
 */
export function outputFiles(namespaces: readonly string[] = NAMESPACES): string[] {
  // Argo CD objects only once the repository's URL is set (lib/config/environments.ts REPO_URL).
  const argo = (file: string) => (REPO_URL === undefined ? [] : [path.join('argocd', file)]);
  return namespaces.flatMap((ns) => [
    manifestFile(ns), `${ns}.md`, ...argo(`${ns}.yaml`),
    ...(ns === PREVIEW_HOME ? [...argo(`${ns}-previews.yaml`), ...PREVIEWS.map((p) => previewFile(p.instance!))] : []),
  ]).sort();
}

/** An example of the URL operators set when they adopt the project: tests of the Argo CD objects use it. */
export const EXAMPLE_REPO_URL = 'https://git.example.org/open-vault.git';

/** `base` with its repository URL set, as an adopted project has it. */
export function adopted(base: Environment): Environment {
  return parseEnvironment({ ...base, gitops: { ...base.gitops, repoURL: EXAMPLE_REPO_URL } });
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

export const README = fs.readFileSync(path.join(__dirname, '..', 'README.md'), 'utf8');

/** The text of the README's `## heading` section, up to the next `## ` heading. */
export function readmeSection(heading: string): string {
  const start = README.indexOf(`\n## ${heading}\n`);
  if (start < 0) throw new Error(`README.md has no section "${heading}"`);
  const end = README.indexOf('\n## ', start + 1);
  return README.slice(start, end < 0 ? undefined : end);
}

/** The body rows of the first Markdown table in `text` whose header starts with `firstHeader`, as cells. */
export function markdownTable(text: string, firstHeader: string): string[][] {
  const lines = text.split('\n');
  const header = lines.findIndex((l) => l.startsWith(`| ${firstHeader} |`));
  if (header < 0) throw new Error(`no table headed "${firstHeader}"`);
  const rows: string[][] = [];
  for (const line of lines.slice(header + 2)) {
    if (!line.startsWith('|')) break;
    rows.push(line.slice(1, line.lastIndexOf('|')).split(' | ').map((c) => c.trim()));
  }
  return rows;
}

/** `` `a`, `b` `` → ['a', 'b']. */
export const codeSpans = (cell: string): string[] => [...cell.matchAll(/`([^`]+)`/g)].map((m) => m[1] as string);

/** README, Secrets: the Secrets each namespace needs and their keys (sorted), as `requiredSecrets` gives them. */
export function readmeSecrets(): { name: string; keys: string[] }[] {
  return markdownTable(readmeSection('Secrets'), 'Secret')
    .map(([name, keys]) => ({ name: codeSpans(name ?? '')[0] as string, keys: codeSpans(keys ?? '').sort() }))
    .sort((a, b) => (a.name < b.name ? -1 : a.name > b.name ? 1 : 0));
}

/** Mermaid node id of an object on a topology page (lib/report/topology.ts), when no other node shares it. */
export const topologyId = (kind: string, name: string) => `${kind.toLowerCase()}_${name.replace(/[^A-Za-z0-9_]/g, '_')}`;

/** `s` as a literal in a regular expression. */
export const escapeRegExp = (s: string) => s.replace(/[.*+?^${}()|[\]\\]/g, '\\$&');

/** README, Configuration: the public paths that "go to the backend" (ov-wag's urls.py), in the README's order. */
export function readmeBackendPaths(): string[] {
  const m = /Public paths follow ov-wag's `urls\.py`:([^]*?)go to the backend/.exec(readmeSection('Configuration'));
  if (!m) throw new Error('README.md, Configuration, no longer says which paths "go to the backend"');
  return codeSpans(m[1] as string);
}
