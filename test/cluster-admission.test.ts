/**
 * What the API server and its controllers decide about dist/: with kube-controller-manager running, every
 * workload gets its pods and PodSecurity "enforce" admits them; a non-compliant pod is refused; and a corpus of
 * broken objects derived from dist/ shows what the server refuses and what synth-time validation adds to it.
 */
import * as fs from 'node:fs';
import * as os from 'node:os';
import * as path from 'node:path';
import { loadAll } from 'js-yaml';
import { POD_SECURITY_VERSION } from '../lib/chart/open-vault';
import { KubeObject } from '../lib/objects/kube-object';
import { findViolations, formatViolation } from '../lib/synth/validate';
import { ControlPlane, startControlPlane } from './cluster/control-plane';
import { CORPUS, Verdict } from './cluster/corpus';
import { argoManifests, DEMO, distManifests, files, TEST_PREVIEW, writeManifest } from './cluster/manifests';
import { withController } from './helpers';

jest.setTimeout(120_000);

let plane: ControlPlane;
let scratch: string;
let manifests: string[];
let objects: KubeObject[];
/** The objects of each manifest (and of the Argo CD files and an nginx variant of the demo), each validated as synth validates one file. */
let sets: KubeObject[][];

beforeAll(async () => {
  scratch = fs.mkdtempSync(path.join(os.tmpdir(), 'ov-admission-'));
  manifests = [...distManifests(), writeManifest(scratch, 'preview', TEST_PREVIEW)];
  const load = (f: string) => loadAll(fs.readFileSync(f, 'utf8')) as KubeObject[];
  objects = manifests.flatMap(load);
  // The registry's environments use the cluster's Traefik; nginx is judged too.
  const nginx = writeManifest(scratch, 'nginx', withController(DEMO, 'nginx'));
  sets = [...manifests, ...argoManifests(scratch), nginx].map(load);
  plane = await startControlPlane({ controllers: true });
});
afterAll(async () => {
  await plane?.stop();
  fs.rmSync(scratch, { recursive: true, force: true });
});

const namespaces = () => objects.filter((o) => o.kind === 'Namespace').map((o) => o.metadata.name);
const until = async <T>(what: string, probe: () => Promise<T | undefined>, seconds = 60): Promise<T> => {
  const deadline = Date.now() + seconds * 1000;
  let last: T | undefined;
  while (Date.now() < deadline) {
    last = await probe();
    if (last !== undefined) return last;
    await new Promise((r) => setTimeout(r, 500));
  }
  throw new Error(`${what}: not within ${seconds} s`);
};

/** A pod that passes "restricted" but for what `change` does to it. */
function pod(name: string, namespace: string, change: (container: any, spec: any) => void = () => undefined): string {
  const container: any = {
    name: 'c', image: 'registry.invalid/test:1',
    securityContext: { allowPrivilegeEscalation: false, capabilities: { drop: ['ALL'] }, runAsNonRoot: true, runAsUser: 10001, seccompProfile: { type: 'RuntimeDefault' } },
  };
  const spec: any = { containers: [container] };
  change(container, spec);
  return JSON.stringify({ apiVersion: 'v1', kind: 'Pod', metadata: { name, namespace }, spec });
}

describe('a corpus of broken objects derived from dist/', () => {
  const verdicts: Array<{ name: string; object: string; synth: Verdict; server: Verdict; expected: string }> = [];
  // Only the Namespaces exist: each broken object is judged as a new object of dist/ is, on its creation.
  beforeAll(async () => {
    const namespaceObjects = objects.filter((o) => o.kind === 'Namespace').map((o) => JSON.stringify(o)).join('\n');
    await plane.kubectlOk(['apply', '--warnings-as-errors', '-f', '-'], namespaceObjects);
  });

  afterAll(() => {
    // The table for the maintainers: `OV_CORPUS_TABLE=corpus.md npm test -- test/cluster-admission.test.ts`.
    if (!process.env.OV_CORPUS_TABLE) return;
    const rows = verdicts.map((v) => `| ${v.object} | ${v.name} | ${v.synth} | ${v.server} |`);
    fs.writeFileSync(process.env.OV_CORPUS_TABLE, ['| object | mutation | synth | API server |', '| --- | --- | --- | --- |', ...rows, ''].join('\n'));
  });

  test.each(CORPUS.map((c) => [c.name, c] as const))('%s', async (_name, c) => {
    const matches = (o: KubeObject) => o.kind === c.kind && (c.object === undefined || o.metadata.name === c.object || o.metadata.name.startsWith(`${c.object}-`));
    const set = sets.find((objects) => objects.some(matches));
    expect(set).toBeDefined();
    const at = set!.findIndex(matches);
    const broken = c.mutate(structuredClone(set![at])) as KubeObject;
    const before = new Set(findViolations(set!).map(formatViolation));
    const synthRefuses = findViolations(set!.map((o, i) => (i === at ? broken : o))).some((v) => !before.has(formatViolation(v)));
    const r = await plane.kubectl(['apply', '--dry-run=server', '--warnings-as-errors', '-f', '-'], JSON.stringify(broken));
    const server: Verdict = r.code === 0 ? 'accepts' : /^Warning:/m.test(r.stderr) ? 'warns' : 'refuses';
    const synth: Verdict = synthRefuses ? 'refuses' : 'accepts';
    verdicts.push({ name: c.name, object: `${set![at].kind}/${set![at].metadata.name}`, synth, server, expected: c.expect });
    if (c.expect === 'server') {
      // The server refuses it (or warns, which --warnings-as-errors makes a failure): in dist/ it fails the apply tests.
      expect({ server, stderr: r.stderr.trim().split('\n')[0] }).toEqual({ server: expect.stringMatching(/refuses|warns/), stderr: expect.any(String) });
    } else {
      // What the server cannot know: synth-time validation must refuse it, or nothing would.
      expect({ server, synth }).toEqual({ server: 'accepts', synth: 'refuses' });
    }
  });
});

test('with the controllers running, every Deployment, StatefulSet, Job and CronJob gets its pods, admitted by PodSecurity "enforce"', async () => {
  // A CronJob's pods only come on schedule: a Job made from each, as operators make one (README: restore).
  await plane.kubectlOk(['apply', '--warnings-as-errors', ...files(manifests)]);
  const cronJobs = objects.filter((o) => o.kind === 'CronJob');
  for (const c of cronJobs) {
    await plane.kubectlOk(['create', 'job', '-n', c.metadata.namespace!, `--from=cronjob/${c.metadata.name}`, `${c.metadata.name}-now`.slice(0, 63)]);
  }
  const workloads = objects.filter((o) => ['Deployment', 'StatefulSet', 'Job'].includes(o.kind));
  expect(workloads.length).toBeGreaterThan(0);
  const expected = new Map<string, number>();
  for (const w of workloads) {
    const spec = w.spec as any;
    const want = w.kind === 'Job' ? (spec.parallelism ?? 1) : (spec.replicas ?? 1);
    expected.set(`${w.metadata.namespace}/${w.kind === 'Job' ? `job-name=${w.metadata.name}` : selector(spec.selector.matchLabels)}`, want);
  }
  for (const c of cronJobs) expected.set(`${c.metadata.namespace}/job-name=${`${c.metadata.name}-now`.slice(0, 63)}`, 1);
  const missing = await until('every workload\'s pods', async () => {
    const pods = JSON.parse(await plane.kubectlOk(['get', 'pods', '-A', '-o', 'json'])).items as any[];
    const short = [...expected].filter(([key, want]) => {
      const [namespace, sel] = [key.slice(0, key.indexOf('/')), key.slice(key.indexOf('/') + 1)];
      const labels = Object.fromEntries(sel.split(',').map((kv) => kv.split('=')));
      return pods.filter((p) => p.metadata.namespace === namespace && Object.entries(labels).every(([k, v]) => p.metadata.labels?.[k] === v)).length < want;
    });
    return short.length === 0 ? [] : undefined;
  }).catch(async (error) => {
    const events = await plane.kubectl(['get', 'events', '-A', '--field-selector=reason=FailedCreate', '-o', 'custom-columns=OBJ:involvedObject.name,MSG:message']);
    throw new Error(`${error.message}\n${events.stdout}`);
  });
  expect(missing).toEqual([]);
  const refused = await plane.kubectlOk(['get', 'events', '-A', '--field-selector=reason=FailedCreate', '-o', 'name']);
  expect(refused).toBe('');
});

function selector(labels: Record<string, string>): string {
  return Object.entries(labels).map(([k, v]) => `${k}=${v}`).join(',');
}

test('a pod that breaks "restricted" is refused in each namespace', async () => {
  expect(namespaces().length).toBeGreaterThan(0);
  for (const namespace of namespaces()) {
    const r = await plane.kubectl(['apply', '-f', '-'], pod('privileged', namespace, (c) => Object.assign(c.securityContext, { privileged: true, allowPrivilegeEscalation: true })));
    expect(r.code).not.toBe(0);
    expect(r.stderr).toContain('violates PodSecurity "restricted:');
    const ok = await plane.kubectl(['apply', '--dry-run=server', '-f', '-'], pod('compliant', namespace));
    expect(ok.stderr).toBe('');
    expect(ok.code).toBe(0);
  }
});

test(`the namespaces enforce PodSecurity "${POD_SECURITY_VERSION}": a check newer than a pinned version (probes aimed at another host, Kubernetes 1.34) refuses`, async () => {
  // Pinned to an older version, the same pod is admitted: the pin would switch off every check added since.
  const hostProbe = (c: any) => (c.readinessProbe = { httpGet: { host: '169.254.169.254', path: '/', port: 80 } });
  await plane.kubectlOk(['create', 'namespace', 'pinned']);
  await plane.kubectlOk(['label', 'namespace', 'pinned', 'pod-security.kubernetes.io/enforce=restricted', 'pod-security.kubernetes.io/enforce-version=v1.28']);
  const pinned = await plane.kubectl(['apply', '--dry-run=server', '-f', '-'], pod('host-probe', 'pinned', hostProbe));
  expect(pinned.code).toBe(0);
  for (const namespace of namespaces()) {
    const r = await plane.kubectl(['apply', '--dry-run=server', '-f', '-'], pod('host-probe', namespace, hostProbe));
    expect(r.stderr).toContain('violates PodSecurity');
    expect(r.code).not.toBe(0);
  }
});

