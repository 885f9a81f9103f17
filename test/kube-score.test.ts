/**
 * kube-score, the linter Kubernetes reviewers run on manifests (test/kube-score pins v1.20.0), over every
 * environment and a preview of each repository, rendered by the project's own commands from the committed
 * state: each finding must be one of the deviations README, Security, explains, and only for the objects
 * its reason covers. Whatever the tags and previews of the day, a finding of any other kind fails.
 */
import { spawnSync } from 'node:child_process';
import * as fs from 'node:fs';
import * as os from 'node:os';
import * as path from 'node:path';
import { loadAll } from 'js-yaml';
import { STATE } from '../lib/config/environments';
import { DATABASE, FRONTEND } from '../lib/config/images';
import { previewName, PreviewRepo, PREVIEW_REPOS } from '../lib/config/preview';
import { preview } from '../lib/synth/state';
import { tool } from './go-tools';
import { codeSpans, CONTRACT, markdownTable, Obj, podTemplate, readmeSection } from './helpers';

/** The Kubernetes API the chart is written against (lib/chart/k8s.ts), for kube-score's deprecation checks. */
const KUBERNETES_VERSION = 'v1.28';

/** The user an image declares for itself (its Dockerfile's USER, or the account its files belong to). */
const IMAGE_USERS: Readonly<Record<string, number>> = {
  [FRONTEND.repository]: CONTRACT.frontend.user,
  [DATABASE.repository]: CONTRACT.database.user,
};

const repositoryOf = (image: string) => image.replace(/@sha256:[0-9a-f]{64}$/, '').replace(/:[^:/]+$/, '');
/** A release tag or a digest: the same content on every pull. */
const immutable = (image: string) => /:v\d+\.\d+\.\d+$/.test(image) || /@sha256:[0-9a-f]{64}$/.test(image);

/** One finding: the object, the container it names (if any), and the check. */
interface Finding {
  readonly object: Obj;
  readonly container?: { readonly name: string; readonly image: string; readonly imagePullPolicy?: string };
  readonly check: string;
  readonly summary: string;
}

/**
 * The deviations, each a check kube-score reports, where it is allowed, and why (README, Security,
 * "Reviewed with kube-score", has one row per check): the one place that allows a finding.
 */
const DEVIATIONS: Readonly<Record<string, (f: Finding) => boolean>> = {
  // Only containers running as the user their image declares: ov-frontend's `remix`, postgres' `postgres`.
  'container-security-context-user-group-id': ({ object, container }) => {
    if (!container) return false;
    const wanted = IMAGE_USERS[repositoryOf(container.image)];
    const pod = podTemplate(object).spec.securityContext;
    return wanted !== undefined && pod.runAsUser === wanted && pod.runAsGroup === wanted;
  },
  // Only an immutable image (a release tag, a digest), pulled when it is not on the node yet.
  'container-image-pull-policy': ({ container }) => container !== undefined && immutable(container.image) && container.imagePullPolicy === 'IfNotPresent',
  // Only a Deployment whose pods are spread over nodes by a topology spread constraint on their own labels.
  'deployment-has-host-podantiaffinity': ({ object }) => {
    const selector = JSON.stringify(object.spec.selector.matchLabels);
    return (podTemplate(object).spec.topologySpreadConstraints ?? []).some(
      (c: any) => c.topologyKey === 'kubernetes.io/hostname' && JSON.stringify(c.labelSelector?.matchLabels) === selector,
    );
  },
};

interface Scored {
  readonly object_name: string;
  readonly type_meta: { readonly kind: string };
  readonly object_meta: { readonly name: string; readonly namespace?: string };
  readonly checks: readonly {
    readonly check: { readonly id: string };
    readonly grade: number;
    readonly skipped: boolean;
    readonly comments: readonly { readonly path: string; readonly summary: string }[] | null;
  }[];
}

/** kube-score's grade of a passed check (scorecard.GradeAllOK). */
const ALL_OK = 10;

const temps: string[] = [];
let objects: Obj[] = [];
let scored: Scored[] = [];
let findings: Finding[] = [];
let previews: string[] = [];

/** Every `.k8s.yaml` under `dir`, sorted. */
const manifests = (dir: string) =>
  fs.readdirSync(dir, { recursive: true, withFileTypes: true })
    .filter((e) => e.isFile() && e.name.endsWith('.k8s.yaml'))
    .map((e) => path.join(e.parentPath, e.name))
    .sort();

beforeAll(() => {
  const binary = tool('kube-score');
  const state = fs.mkdtempSync(path.join(os.tmpdir(), 'ov-kube-score-state-'));
  const outdir = fs.mkdtempSync(path.join(os.tmpdir(), 'ov-kube-score-out-'));
  temps.push(state, outdir);
  for (const f of ['releases.json', 'previews.json']) fs.copyFileSync(path.join(__dirname, '..', 'lib', 'config', f), path.join(state, f));
  // A preview of each repository besides the committed ones, added as an operator adds it.
  const taken = new Set(STATE.previews.map(previewName));
  for (const repo of Object.keys(PREVIEW_REPOS) as PreviewRepo[]) {
    let number = 1;
    while (taken.has(previewName({ repo, number }))) number += 1;
    const err: string[] = [];
    const io = { stdout: { write: () => true }, stderr: { write: (s: string) => err.push(s) } };
    expect([repo, preview(['add', repo, String(number), '--outdir', outdir, '--state-dir', state, '--quiet'], {}, io), err.join('')]).toEqual([repo, 0, '']);
  }
  previews = [...STATE.previews.map(previewName), ...(Object.keys(PREVIEW_REPOS) as PreviewRepo[]).map((repo) => previewName({ repo, number: 1 }))];

  const files = manifests(outdir);
  objects = files.flatMap((f) => loadAll(fs.readFileSync(f, 'utf8')) as Obj[]);
  const run = spawnSync(binary, ['score', '--output-format', 'json', '--kubernetes-version', KUBERNETES_VERSION, ...files], { encoding: 'utf8', maxBuffer: 64 * 2 ** 20 });
  // Exit 1 means "critical findings": judged below, finding by finding.
  if (run.status !== 0 && run.status !== 1) throw new Error(`kube-score exited ${run.status}: ${run.stderr}`);
  if (run.stderr !== '') throw new Error(`kube-score: ${run.stderr}`);
  scored = JSON.parse(run.stdout) as Scored[];

  findings = scored.flatMap((s) => {
    const object = objects.find((o) => o.kind === s.type_meta.kind && o.metadata.name === s.object_meta.name && o.metadata.namespace === s.object_meta.namespace);
    if (!object) throw new Error(`kube-score scored ${s.object_name}, which no manifest holds`);
    const spec = podTemplate(object)?.spec;
    const all = spec ? [...(spec.initContainers ?? []), ...spec.containers] : [];
    return s.checks
      .filter((c) => !c.skipped && c.grade < ALL_OK)
      .flatMap((c) => (c.comments?.length ? c.comments : [{ path: '', summary: '(no comment)' }]).map((comment) => ({
        object,
        container: all.find((k: any) => k.name === comment.path),
        check: c.check.id,
        summary: comment.summary,
      })));
  });
}, 20 * 60 * 1000);

afterAll(() => {
  for (const dir of temps) fs.rmSync(dir, { recursive: true, force: true });
});

const label = (f: Finding) => `${f.object.kind}/${f.object.metadata.namespace}/${f.object.metadata.name}${f.container ? ` (${f.container.name})` : ''}: ${f.check}: ${f.summary}`;

test('kube-score reads every object of every namespace and of the previews', () => {
  const workloads = objects.filter((o) => ['Deployment', 'StatefulSet', 'Job', 'CronJob'].includes(o.kind));
  expect(workloads.length).toBeGreaterThan(0);
  const names = new Set(scored.map((s) => `${s.type_meta.kind}/${s.object_meta.namespace}/${s.object_meta.name}`));
  for (const w of workloads) expect(names).toContain(`${w.kind}/${w.metadata.namespace}/${w.metadata.name}`);
  for (const name of previews) expect(workloads.some((w) => w.metadata.labels?.['app.kubernetes.io/instance'] === name)).toBe(true);
});

test('every finding is a deviation the README explains, for an object its reason covers', () => {
  const unexplained = findings.filter((f) => !DEVIATIONS[f.check]?.(f)).map(label);
  expect(unexplained).toEqual([]);
});

test('README, Security, explains exactly the allowed deviations', () => {
  const rows = markdownTable(readmeSection('Security'), 'check');
  expect(rows.map(([check]) => codeSpans(check ?? '')[0]).sort()).toEqual(Object.keys(DEVIATIONS).sort());
  for (const [check, where, reason] of rows) expect([check, where !== '' && reason !== '']).toEqual([check, true]);
});
