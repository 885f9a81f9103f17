/** Secure by default: Pod Security "restricted", least privilege, network isolation, availability, no secrets. */
import * as fs from 'node:fs';
import * as path from 'node:path';
import { environmentProblems, Environment } from '../../lib/config/types';
import { previewFor } from '../../lib/config/environments';
import { requiredSecrets } from '../../lib/config/secrets';
import { findViolations } from '../../lib/synth/validate';
import { containers, DEMO, find, objectsOf, ofKind, podTemplate, PRODUCTION, variant, workloads } from '../helpers';
import { allowed, Endpoint } from '../netpol';

const EXTERNAL_DB: Environment = variant(PRODUCTION, {
  database: { mode: 'external', host: 'ov-db-cluster-rw', port: 5432, name: 'ov', user: 'ov', password: { name: 'ov-db-cluster-app', key: 'password' }, peer: { podLabels: { 'cnpg.io/cluster': 'ov-db-cluster' } } },
  externalSecrets: { ...PRODUCTION.externalSecrets!, remoteKeys: { ...PRODUCTION.externalSecrets!.remoteKeys, 'ov-db-cluster-app': 'openvault/ov/db' } },
});
const ALL: [string, Environment][] = [['ov', PRODUCTION], ['ov-demo', DEMO], ['preview', previewFor({ repo: 'ov-wag', number: 3 })], ['external db', EXTERNAL_DB]];

/** Who runs each image: uid, gid, and why (see lib/stack.ts). */
const RUN_AS: Record<string, number> = { 'ov-frontend': 1001, 'ov-wag': 1000, 'ov-wag-migrate': 1000, 'ov-wag-update-index': 1000, db: 70, 'ov-wag-restart': 65532 };

describe.each(ALL)('%s', (_name, env) => {
  const objects = objectsOf(env);
  const pods = workloads(objects).map((w) => ({ owner: `${w.kind}/${w.metadata.name}`, name: podTemplate(w).metadata.labels['app.kubernetes.io/name'], spec: podTemplate(w).spec }));

  test('synthesizes with no violation of any rule', () => {
    expect(findViolations(objects)).toEqual([]);
  });

  test('every pod is "restricted": non-root with a fixed user that fits its image, RuntimeDefault seccomp', () => {
    expect(pods.length).toBeGreaterThanOrEqual(4);
    for (const { owner, name, spec } of pods) {
      expect([owner, spec.securityContext]).toEqual([owner, {
        runAsNonRoot: true, runAsUser: RUN_AS[name], runAsGroup: RUN_AS[name], fsGroup: RUN_AS[name],
        fsGroupChangePolicy: 'OnRootMismatch', seccompProfile: { type: 'RuntimeDefault' },
      }]);
      expect(spec.hostNetwork ?? false).toBe(false);
      for (const c of containers(spec)) {
        expect([owner, c.name, c.securityContext]).toEqual([owner, c.name, {
          allowPrivilegeEscalation: false, privileged: false, readOnlyRootFilesystem: true, runAsNonRoot: true, capabilities: { drop: ['ALL'] },
        }]);
      }
    }
  });

  test('every container can write /tmp, and only emptyDirs (and the data claim) are mounted, each with a size limit', () => {
    for (const { owner, spec } of pods) {
      const volumes = new Map(spec.volumes.map((v: any) => [v.name, v]));
      for (const v of spec.volumes) {
        expect([owner, Object.keys(v).sort()]).toEqual([owner, ['emptyDir', 'name']]);
        expect(v.emptyDir.sizeLimit).toMatch(/^\d+Mi$/);
      }
      for (const c of containers(spec)) {
        expect(c.volumeMounts).toContainEqual({ name: 'tmp', mountPath: '/tmp' });
        for (const m of c.volumeMounts) expect(volumes.has(m.name) || m.name === 'data').toBe(true);
      }
    }
  });

  test('every container has requests and limits, a pinned image and IfNotPresent', () => {
    for (const { spec } of pods) {
      for (const c of containers(spec)) {
        expect(Object.keys(c.resources.requests).sort()).toEqual(['cpu', 'memory']);
        expect(Object.keys(c.resources.limits).sort()).toEqual(['cpu', 'memory']);
        expect(c.imagePullPolicy).toBe('IfNotPresent');
        expect(c.image).toMatch(/:[A-Za-z0-9_][A-Za-z0-9_.-]*$/);
        expect(c.image).not.toMatch(/:latest$/);
      }
    }
    const web = find(objects, 'Deployment', 'ov-wag').spec.template.spec.containers[0].resources;
    expect(web).toEqual({ requests: { cpu: '50m', memory: '50Mi' }, limits: { cpu: '1', memory: '1Gi' } });
  });

  test('each workload has its own ServiceAccount, with no token except the restart job', () => {
    const accounts = ofKind(objects, 'ServiceAccount');
    for (const { owner, spec } of pods) {
      const account = accounts.find((a) => a.metadata.name === spec.serviceAccountName);
      expect([owner, account?.metadata.name]).toEqual([owner, spec.serviceAccountName]);
      const mounts = spec.serviceAccountName === 'ov-wag-restart';
      expect([owner, spec.automountServiceAccountToken, (account as any).automountServiceAccountToken]).toEqual([owner, mounts, mounts]);
    }
    expect(new Set(pods.map((p) => p.spec.serviceAccountName)).size).toBe(pods.length);
  });

  test('the namespace enforces, audits and warns "restricted" at a pinned version', () => {
    expect(objects[0].metadata.labels).toMatchObject({
      'pod-security.kubernetes.io/enforce': 'restricted', 'pod-security.kubernetes.io/enforce-version': 'v1.28',
      'pod-security.kubernetes.io/audit': 'restricted', 'pod-security.kubernetes.io/audit-version': 'v1.28',
      'pod-security.kubernetes.io/warn': 'restricted', 'pod-security.kubernetes.io/warn-version': 'v1.28',
    });
  });

  test('no Secret object, and every secret-looking variable comes from a Secret by reference', () => {
    expect(ofKind(objects, 'Secret')).toEqual([]);
    for (const { spec } of pods) {
      for (const c of containers(spec)) {
        for (const e of c.env ?? []) {
          if (/PASSWORD|SECRET|_KEY/.test(e.name)) expect([e.name, e.value, e.valueFrom?.secretKeyRef?.name]).toEqual([e.name, undefined, expect.any(String)]);
        }
      }
    }
    for (const cm of ofKind(objects, 'ConfigMap')) for (const key of Object.keys(cm.data)) expect(key).not.toMatch(/PASSWORD|SECRET_KEY|API_KEY/);
  });

  test('the Secrets the pods reference are exactly the required ones', () => {
    const referenced = new Map<string, Set<string>>();
    for (const { spec } of pods) {
      for (const c of containers(spec)) {
        for (const e of c.env ?? []) {
          const ref = e.valueFrom?.secretKeyRef;
          if (ref) referenced.set(ref.name, (referenced.get(ref.name) ?? new Set()).add(ref.key));
        }
      }
    }
    expect([...referenced].map(([name, keys]) => ({ name, keys: [...keys].sort() })).sort((a, b) => a.name.localeCompare(b.name))).toEqual(requiredSecrets(env));
  });

  test('replicated web tiers get a disruption budget and node spreading; rollouts never drop below the wanted count', () => {
    for (const d of ofKind(objects, 'Deployment')) {
      expect(d.spec.strategy.rollingUpdate).toEqual({ maxUnavailable: 0, maxSurge: '50%' });
      const pdb = objects.find((o) => o.kind === 'PodDisruptionBudget' && o.metadata.name === d.metadata.name);
      const spread = d.spec.template.spec.topologySpreadConstraints;
      if (d.spec.replicas > 1) {
        expect(pdb?.spec).toEqual({ maxUnavailable: 1, selector: d.spec.selector });
        expect(spread).toEqual([expect.objectContaining({ topologyKey: 'kubernetes.io/hostname', labelSelector: d.spec.selector })]);
      } else {
        expect(pdb).toBeUndefined();
        expect(spread).toBeUndefined();
      }
    }
  });
});

describe('NetworkPolicies allow the call sequence and nothing more', () => {
  const pod = (env: Environment, name: string): Endpoint => ({ namespace: env.namespace, labels: { 'app.kubernetes.io/name': name, 'app.kubernetes.io/instance': env.namespace } });
  const controller: Endpoint = { namespace: 'ingress-nginx', labels: { 'app.kubernetes.io/name': 'ingress-nginx' } };
  const kubeDns: Endpoint = { namespace: 'kube-system', labels: { 'k8s-app': 'kube-dns' } };
  const stranger: Endpoint = { namespace: 'default', labels: { app: 'curl' } };
  const internet: Endpoint = { ip: '151.101.1.1' };
  const clusterIp: Endpoint = { ip: '10.1.2.3' };

  test.each([['ov', PRODUCTION], ['ov-demo', DEMO]] as const)('%s', (_name, env) => {
    const o = objectsOf(env);
    const [frontend, wag, db, migrate, index] = ['ov-frontend', 'ov-wag', 'db', 'ov-wag-migrate', 'ov-wag-update-index'].map((n) => pod(env, n));
    const table: [string, Endpoint, Endpoint, number, boolean][] = [
      ['ingress controller → frontend', controller, frontend, 3000, true],
      ['ingress controller → backend', controller, wag, 8000, true],
      ['ingress controller → db', controller, db, 5432, false],
      ['ingress controller → frontend, other port', controller, frontend, 8080, false],
      ['other namespace → frontend', stranger, frontend, 3000, false],
      ['frontend → backend', frontend, wag, 8000, true],
      ['frontend → db', frontend, db, 5432, false],
      ['backend → db', wag, db, 5432, true],
      ['backend → frontend', wag, frontend, 3000, false],
      ['migrations → db', migrate, db, 5432, true],
      ['index update → db', index, db, 5432, true],
      ['db → backend', db, wag, 8000, false],
      ['db → internet', db, internet, 443, false],
      ['frontend → internet HTTPS', frontend, internet, 443, true],
      ['backend → internet HTTPS', wag, internet, 443, true],
      ['backend → internet HTTP', wag, internet, 80, false],
      ['backend → cluster range on 443', wag, clusterIp, 443, false],
      ['index update → internet HTTPS', index, internet, 443, true],
      ['migrations → internet HTTPS', migrate, internet, 443, false],
    ];
    for (const [what, from, to, port, expected] of table) expect([what, allowed(o, from, to, port)]).toEqual([what, expected]);
    for (const p of [frontend, wag, db, migrate, index]) {
      expect(allowed(o, p, kubeDns, 53, 'UDP')).toBe(true);
      expect(allowed(o, p, kubeDns, 53, 'TCP')).toBe(true);
      expect(allowed(o, p, stranger, 53, 'UDP')).toBe(false);
    }
  });

  test('the restart job reaches only the API server', () => {
    const o = objectsOf(PRODUCTION);
    const restart = pod(PRODUCTION, 'ov-wag-restart');
    const api = PRODUCTION.jobs.restartBackend!.apiServer;
    expect(allowed(o, restart, { ip: api.cidr.split('/')[0] }, api.port)).toBe(true);
    expect(allowed(o, restart, internet, 443)).toBe(false);
    expect(allowed(o, restart, pod(PRODUCTION, 'db'), 5432)).toBe(false);
  });

  test('an external database is reached where it is, and only from the backend and its jobs', () => {
    const o = objectsOf(EXTERNAL_DB);
    const cnpg: Endpoint = { namespace: 'ov', labels: { 'cnpg.io/cluster': 'ov-db-cluster' } };
    expect(allowed(o, pod(EXTERNAL_DB, 'ov-wag'), cnpg, 5432)).toBe(true);
    expect(allowed(o, pod(EXTERNAL_DB, 'ov-wag-migrate'), cnpg, 5432)).toBe(true);
    expect(allowed(o, pod(EXTERNAL_DB, 'ov-frontend'), cnpg, 5432)).toBe(false);
  });

  test('the allowed outside CIDRs and the ingress controller namespace come from the environment', () => {
    const env = variant(DEMO, { network: { ingressControllerNamespace: 'traefik', egressCidrs: [{ cidr: '52.0.0.0/8' }] } });
    const o = objectsOf(env);
    const wag = pod(env, 'ov-wag');
    expect(allowed(o, wag, { ip: '52.1.2.3' }, 443)).toBe(true);
    expect(allowed(o, wag, internet, 443)).toBe(false);
    expect(allowed(o, { namespace: 'traefik', labels: {} }, pod(env, 'ov-frontend'), 3000)).toBe(true);
    expect(allowed(o, controller, pod(env, 'ov-frontend'), 3000)).toBe(false);
  });
});

describe('Secrets', () => {
  test('production fills exactly the required Secrets from the aws-secrets ClusterSecretStore', () => {
    const externals = ofKind(objectsOf(PRODUCTION), 'ExternalSecret');
    expect(externals.map((e) => e.apiVersion)).toEqual(externals.map(() => 'external-secrets.io/v1'));
    const filled = externals.map((e) => ({ name: e.spec.target.name, keys: e.spec.data.map((d: any) => d.secretKey) }));
    expect(filled).toEqual(requiredSecrets(PRODUCTION));
    for (const e of externals) {
      expect(e.spec.secretStoreRef).toEqual({ kind: 'ClusterSecretStore', name: 'aws-secrets' });
      for (const d of e.spec.data) expect(d.remoteRef).toEqual({ key: PRODUCTION.externalSecrets!.remoteKeys[e.metadata.name], property: d.secretKey });
    }
  });

  test('the demo, without a store, expects the Secrets to be created by hand', () => {
    expect(ofKind(objectsOf(DEMO), 'ExternalSecret')).toEqual([]);
    expect(requiredSecrets(DEMO).map((s) => s.name)).toEqual(['ov-db', 'ov-frontend', 'ov-wag']);
  });

  test('a store without a remote key for a required Secret is refused', () => {
    const env = variant(PRODUCTION, { externalSecrets: { storeName: 'aws-secrets', remoteKeys: { 'ov-wag': 'x' } } });
    expect(() => objectsOf(env)).toThrow('ov: externalSecrets.remoteKeys has no entry for Secret "ov-db"');
  });

  test('the README lists every Secret and key', () => {
    const readme = fs.readFileSync(path.join(__dirname, '..', '..', 'README.md'), 'utf8');
    for (const { name, keys } of requiredSecrets(PRODUCTION)) {
      expect(readme).toContain(`\`${name}\``);
      for (const key of keys) expect(readme).toContain(`\`${key}\``);
    }
  });

  test('nothing in the repository looks like secret material', () => {
    const root = path.join(__dirname, '..', '..');
    const files = ['README.md', 'dist', 'lib', 'main.ts'].flatMap((p) => {
      const full = path.join(root, p);
      return fs.statSync(full).isDirectory() ? fs.readdirSync(full, { recursive: true }).map((f) => path.join(full, String(f))) : [full];
    });
    const suspicious = files.filter((f) => fs.statSync(f).isFile())
      .filter((f) => /-----BEGIN [A-Z ]*PRIVATE KEY-----|AKIA[0-9A-Z]{16}|^kind: Secret$/m.test(fs.readFileSync(f, 'utf8')));
    expect(files.length).toBeGreaterThan(20);
    expect(suspicious).toEqual([]);
  });
});

describe('images', () => {
  test.each(['latest', '', 'a b'])('a tag of %j is refused', (tag) => {
    const env = variant(DEMO, { backend: { ...DEMO.backend, tag } });
    expect(environmentProblems(env)).toEqual([expect.stringMatching(/^ov-demo: backend\.tag /)]);
  });
});
