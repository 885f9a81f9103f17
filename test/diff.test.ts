import { execFileSync } from 'node:child_process';
import { mkdirSync, mkdtempSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { dirname, join } from 'node:path';
import {
  DiffInputError, diffAsJson, diffManifests, formatDiff, parseManifests, readTreeAtRef, readTreeFromDisk,
  type ManifestDiff,
} from '../lib/report/diff';

const isYaml = (p: string): boolean => p.endsWith('.yaml');

/** Real git, isolated from the machine's config (no signing, no hooks, fixed identity). */
function git(repo: string, ...args: string[]): string {
  return execFileSync('git', ['-C', repo, '-c', 'commit.gpgsign=false', '-c', 'core.hooksPath=/dev/null', ...args], {
    encoding: 'utf8',
    env: {
      ...process.env, GIT_CONFIG_GLOBAL: '/dev/null', GIT_CONFIG_NOSYSTEM: '1',
      GIT_AUTHOR_NAME: 'Test', GIT_AUTHOR_EMAIL: 'test@example.com', GIT_COMMITTER_NAME: 'Test', GIT_COMMITTER_EMAIL: 'test@example.com',
    },
  });
}

function write(root: string, files: Record<string, string>): void {
  for (const [path, text] of Object.entries(files)) {
    mkdirSync(dirname(join(root, path)), { recursive: true });
    writeFileSync(join(root, path), text);
  }
}

const BASE = {
  'dist/ov.k8s.yaml': `apiVersion: v1
kind: Namespace
metadata:
  name: ov
  labels:
    app.kubernetes.io/part-of: open-vault
---
apiVersion: apps/v1
kind: Deployment
metadata:
  name: ov-wag
  namespace: ov
spec:
  replicas: 2
  template:
    spec:
      containers:
        - name: ov-wag
          image: ghcr.io/x:v1.1.0
          args: [serve, --port, "8000"]
---
apiVersion: v1
kind: Service
metadata: {name: ov-wag, namespace: ov}
spec: {ports: [{port: 80, targetPort: 8000}]}
---
apiVersion: v1
kind: Service
metadata: {name: legacy, namespace: ov}
`,
  'dist/argocd/ov.yaml': `apiVersion: argoproj.io/v1alpha1
kind: Application
metadata:
  name: ov
  namespace: argocd
  labels:
    app.kubernetes.io/version: 1.1.0
spec: {project: default}
`,
  'dist/ov.md': '# not a manifest: the filter keeps it out\n',
  'other/ignored.yaml': 'not: [a manifest\n',
};

/** Documents reordered, keys reordered, a trailing empty document: none of that is a change. */
const HEAD = {
  'dist/ov.k8s.yaml': `kind: Service
apiVersion: v1
metadata: {namespace: ov, name: ov-wag}
spec: {ports: [{targetPort: 8000, port: 80}]}
---
apiVersion: v1
kind: ConfigMap
metadata: {name: ov-config, namespace: ov}
data: {LOG_LEVEL: info}
---
metadata:
  labels:
    app.kubernetes.io/part-of: open-vault
  name: ov
kind: Namespace
apiVersion: v1
---
apiVersion: apps/v1
kind: Deployment
metadata:
  namespace: ov
  name: ov-wag
spec:
  template:
    spec:
      containers:
        - name: sidecar
          image: ghcr.io/y:2
        - image: ghcr.io/x:v1.1.3
          name: ov-wag
          args: [serve, --port, "8000"]
  replicas: 2
---
`,
  'dist/argocd/ov.yaml': BASE['dist/argocd/ov.yaml'].replace('version: 1.1.0', 'version: 1.1.3'),
};

let repo: string;
beforeAll(() => {
  repo = mkdtempSync(join(tmpdir(), 'diff-test-'));
  git(repo, 'init', '-q');
  write(repo, BASE);
  git(repo, 'add', '-A');
  git(repo, 'commit', '-q', '-m', 'base');
  git(repo, 'tag', 'base');
  write(repo, HEAD);
  git(repo, 'commit', '-q', '-am', 'head');
});
afterAll(() => rmSync(repo, { recursive: true, force: true }));

const headDiff = (): ManifestDiff =>
  diffManifests(readTreeAtRef(repo, 'base', 'dist', isYaml), readTreeFromDisk(join(repo, 'dist'), isYaml), 'base');

describe('diff of two commits of dist/', () => {
  test('reads only filtered files under dir, relative to it', () => {
    expect([...readTreeAtRef(repo, 'base', 'dist', isYaml).keys()].sort()).toEqual(['argocd/ov.yaml', 'ov.k8s.yaml']);
    expect([...readTreeFromDisk(join(repo, 'dist'), isYaml).keys()].sort()).toEqual(['argocd/ov.yaml', 'ov.k8s.yaml']);
    // From a subdirectory, ls-tree paths are relative to it: still found, still relative to dir.
    expect([...readTreeAtRef(join(repo, 'dist'), 'base', 'argocd', isYaml).keys()]).toEqual(['ov.yaml']);
  });

  test('structured: only the image, the inserted container, the label, the added and removed objects', () => {
    expect(headDiff()).toEqual({
      base: 'base',
      objects: [
        { id: 'Application/argocd/ov', file: 'argocd/ov.yaml', change: 'changed', fields: [
          { path: 'metadata.labels["app.kubernetes.io/version"]', old: '1.1.0', new: '1.1.3' },
        ] },
        { id: 'ConfigMap/ov/ov-config', file: 'ov.k8s.yaml', change: 'added', fields: [] },
        { id: 'Deployment/ov/ov-wag', file: 'ov.k8s.yaml', change: 'changed', fields: [
          { path: 'spec.template.spec.containers[sidecar]', new: { image: 'ghcr.io/y:2', name: 'sidecar' } },
          { path: 'spec.template.spec.containers[ov-wag].image', old: 'ghcr.io/x:v1.1.0', new: 'ghcr.io/x:v1.1.3' },
        ] },
        { id: 'Service/ov/legacy', file: 'ov.k8s.yaml', change: 'removed', fields: [] },
      ],
    });
  });

  test('text', () => {
    expect(formatDiff(headDiff()).split('\n')).toEqual([
      '1 added, 1 removed, 2 changed (against base)',
      '~ Application/argocd/ov (argocd/ov.yaml)',
      '  metadata.labels["app.kubernetes.io/version"]: 1.1.0 → 1.1.3',
      '+ ConfigMap/ov/ov-config (ov.k8s.yaml)',
      '~ Deployment/ov/ov-wag (ov.k8s.yaml)',
      '  spec.template.spec.containers[sidecar]: (added) {"image":"ghcr.io/y:2","name":"sidecar"}',
      '  spec.template.spec.containers[ov-wag].image: ghcr.io/x:v1.1.0 → ghcr.io/x:v1.1.3',
      '- Service/ov/legacy (ov.k8s.yaml)',
      '',
    ]);
  });

  test('JSON: stable, 2-space indent, trailing newline, absent old/new omitted', () => {
    const json = diffAsJson(headDiff());
    expect(json.endsWith('}\n')).toBe(true);
    expect(JSON.parse(json)).toEqual(JSON.parse(JSON.stringify(headDiff())));
    expect(json).toContain(`      "fields": [
        {
          "path": "spec.template.spec.containers[sidecar]",
          "new": {
            "image": "ghcr.io/y:2",
            "name": "sidecar"
          }
        },`);
    expect(diffAsJson(headDiff())).toBe(json);
  });

  test('identical trees: no changes', () => {
    const head = readTreeAtRef(repo, 'HEAD', 'dist', isYaml);
    expect(formatDiff(diffManifests(head, readTreeFromDisk(join(repo, 'dist'), isYaml), 'HEAD'))).toBe('no changes (against HEAD)\n');
    const base = readTreeAtRef(repo, 'base', 'dist', isYaml);
    expect(diffManifests(base, base, 'base')).toEqual({ base: 'base', objects: [] });
  });

  test('bad ref, not a repo, missing dir: DiffInputError', () => {
    expect(() => readTreeAtRef(repo, 'no-such-branch', 'dist', isYaml)).toThrow(DiffInputError);
    expect(() => readTreeAtRef(repo, 'no-such-branch', 'dist', isYaml)).toThrow(/^unknown git ref no-such-branch: /);
    expect(() => readTreeAtRef(repo, '--output=x', 'dist', isYaml)).toThrow(/unknown git ref --output=x/);
    const plain = mkdtempSync(join(tmpdir(), 'diff-nogit-'));
    try {
      expect(() => readTreeAtRef(plain, 'HEAD', 'dist', isYaml)).toThrow(/not a git repository/);
      expect(() => readTreeFromDisk(join(plain, 'dist'), isYaml)).toThrow(DiffInputError);
    } finally {
      rmSync(plain, { recursive: true, force: true });
    }
    expect(() => readTreeAtRef(repo, 'base', 'dsit', isYaml)).toThrow(/dsit not found at base/);
  });
});

/** Single-object fixtures, diffed in memory. */
const one = (yaml: string): Map<string, string> => new Map([['ov.k8s.yaml', yaml]]);
const fields = (a: string, b: string): unknown => diffManifests(one(a), one(b), 'main').objects.map((o) => o.fields);
const deploy = (spec: string): string => `apiVersion: apps/v1\nkind: Deployment\nmetadata: {name: d, namespace: ov}\nspec: ${spec}\n`;

describe('field diff', () => {
  test('a list of scalars is one change; its text is changed old → new', () => {
    const a = deploy('{containers: [{name: c, args: [serve]}]}'), b = deploy('{containers: [{name: c, args: [serve, --debug]}]}');
    expect(fields(a, b)).toEqual([[{ path: 'spec.containers[c].args', old: ['serve'], new: ['serve', '--debug'] }]]);
    expect(formatDiff(diffManifests(one(a), one(b), 'main'))).toContain('  spec.containers[c].args: changed ["serve"] → ["serve","--debug"]\n');
  });

  test('lists of objects without names go by position', () => {
    expect(fields(deploy('{rules: [{host: a}, {host: b}]}'), deploy('{rules: [{host: a}, {host: c}, {host: d}]}'))).toEqual([[
      { path: 'spec.rules[1].host', old: 'b', new: 'c' },
      { path: 'spec.rules[2]', new: { host: 'd' } },
    ]]);
  });

  test('reordering kept named elements is reported once, as an order change', () => {
    expect(fields(deploy('{initContainers: [{name: a}, {name: b}]}'), deploy('{initContainers: [{name: b}, {name: a}]}')))
      .toEqual([[{ path: 'spec.initContainers (order)', old: ['a', 'b'], new: ['b', 'a'] }]]);
  });

  test('own keys only, null is not absent, type changes show', () => {
    const cm = (data: string): string => `apiVersion: v1\nkind: ConfigMap\nmetadata: {name: c, namespace: ov}\ndata: ${data}\n`;
    expect(fields(cm('{a: x}'), cm('{a: x, constructor: y, toString: null}'))).toEqual([[
      { path: 'data.constructor', new: 'y' },
      { path: 'data.toString', new: null },
    ]]);
    const d = diffManifests(one(deploy('{replicas: 1, x: ""}')), one(deploy('{replicas: "1", x: " "}')), 'main');
    expect(formatDiff(d).split('\n').slice(2, 4)).toEqual(['  spec.replicas: 1 → "1"', '  spec.x: "" → " "']);
  });

  test('long values are clipped around the first difference', () => {
    const long = 'x'.repeat(300);
    const [, , line] = formatDiff(diffManifests(one(deploy(`{s: ${long}a}`)), one(deploy(`{s: ${long}b}`)), 'main')).split('\n');
    expect(line).toBe(`  spec.s: …${'x'.repeat(20)}a → …${'x'.repeat(20)}b`);
  });

  test('apiVersion bump and a move between files are field changes of one object', () => {
    const svc = (v: string): string => `apiVersion: ${v}\nkind: Thing\nmetadata: {name: t}\n`;
    const d = diffManifests(new Map([['a.yaml', svc('x.io/v1')]]), new Map([['b.yaml', svc('x.io/v2')]]), 'main');
    expect(d.objects).toEqual([{ id: 'Thing/t', file: 'b.yaml', change: 'changed', fields: [
      { path: '(file)', old: 'a.yaml', new: 'b.yaml' },
      { path: 'apiVersion', old: 'x.io/v1', new: 'x.io/v2' },
    ] }]);
  });

  test('order: by file, then kind, namespace, name, by code unit', () => {
    const cm = (ns: string, name: string): string => `---\napiVersion: v1\nkind: ConfigMap\nmetadata: {name: ${name}, namespace: ${ns}}\n`;
    const head = new Map([
      ['b.yaml', `${cm('ov', 'z')}${cm('ov', 'a')}${cm('ov', 'B')}${cm('an', 'z')}---\n${deploy('{}')}`],
      ['a.yaml', deploy('{}').replace('name: d', 'name: e')],
    ]);
    expect(diffManifests(new Map(), head, 'main').objects.map((o) => `${o.file} ${o.id}`)).toEqual([
      'a.yaml Deployment/ov/e', 'b.yaml ConfigMap/an/z', 'b.yaml ConfigMap/ov/B', 'b.yaml ConfigMap/ov/a',
      'b.yaml ConfigMap/ov/z', 'b.yaml Deployment/ov/d',
    ]);
  });
});

describe('bad input', () => {
  test('unparsable YAML names the file, document and line', () => {
    const text = `${deploy('{}')}---\n${deploy('{a: [1}')}`;
    expect(() => parseManifests(new Map([['argocd/ov.yaml', text]]))).toThrow(DiffInputError);
    expect(() => parseManifests(new Map([['argocd/ov.yaml', text]]))).toThrow(/^argocd\/ov\.yaml: document 2: invalid YAML at line 9: missed comma/);
  });

  test('a duplicate identity names both places; same name in another kind or namespace is fine', () => {
    const files = new Map([['a.yaml', deploy('{}')], ['b.yaml', `---\n${deploy('{}').replace('ov}', 'ov2}')}---\n${deploy('{}')}`]]);
    expect(() => parseManifests(files)).toThrow('b.yaml: document 2: duplicate Deployment/ov/d (first in a.yaml: document 1)');
    expect(parseManifests(new Map([['a.yaml', `${deploy('{}')}---\n${deploy('{}').replace('ov}', 'ov2}')}`]])).size).toBe(2);
  });

  test('a document that is not a Kubernetes object', () => {
    expect(() => parseManifests(one(`${deploy('{}')}---\n- a list\n`))).toThrow(/^ov\.k8s\.yaml: document 2: not a Kubernetes object/);
  });
});
