/** Secure by default: Pod Security "restricted", least privilege, network isolation, availability, no secrets. */
import * as fs from 'node:fs';
import * as path from 'node:path';
import { environmentProblems, Environment, WebTierConfig } from '../../lib/config/types';
import { ENVIRONMENTS, previewFor } from '../../lib/config/environments';
import { BACKEND, DATABASE, FRONTEND, JOBS } from '../../lib/config/images';
import { GENERATED_SECRET_KEY, requiredSecrets, storedSecrets } from '../../lib/config/secrets';
import { BACKUP } from '../../lib/chart/backup';
import { SEED } from '../../lib/chart/seed';
import { POD_SECURITY_VERSION } from '../../lib/chart/open-vault';
import { findViolations } from '../../lib/synth/validate';
import { quantityValue } from '../../lib/config/rules';
import {
  CONTRACT, containers, DEMO, escapeRegExp, externalDatabase, find, objectsOf, ofKind, podTemplate, PRODUCTION, README, readmeSecrets, variant, workloads,
} from '../helpers';
import { allowed, Endpoint } from '../netpol';

const EXTERNAL_DB = externalDatabase(PRODUCTION);
const REGISTERED = ENVIRONMENTS.map((env) => [env.namespace, env] as const);
const ALL: (readonly [string, Environment])[] = [...REGISTERED, ['preview', previewFor({ repo: 'ov-wag', number: 3 })], ['external db', EXTERNAL_DB]];

/**
 * Who runs each image (by the pods' `app.kubernetes.io/name`): the images' own users where they have one,
 * the backend's chosen uid (its image sets none) for the backend and its jobs, postgres' for its jobs.
 */
const RUN_AS: Record<string, number> = {
  [FRONTEND.name]: CONTRACT.frontend.user,
  [BACKEND.name]: BACKEND.runAs.user, [JOBS.migrate]: BACKEND.runAs.user, [JOBS.updateIndex]: BACKEND.runAs.user,
  [DATABASE.name]: CONTRACT.database.user, [BACKUP.backup]: CONTRACT.database.user, [BACKUP.restore]: CONTRACT.database.user, [SEED]: CONTRACT.database.user,
  [JOBS.restart]: CONTRACT.kubectl.user,
};

/** The resources each pod's containers get from the environment, where the registry sets them. */
function configuredResources(env: Environment, name: string): unknown {
  if (name === FRONTEND.name) return env.frontend.resources;
  if ([BACKEND.name, JOBS.migrate, JOBS.updateIndex].some((n) => n === name)) return env.backend.resources;
  if (name === DATABASE.name && env.database.mode === 'statefulset') return env.database.resources;
  return undefined;
}

test('the images\' own users are the ones the chart runs them as', () => {
  expect([FRONTEND.runAs, DATABASE.runAs]).toEqual([
    { user: CONTRACT.frontend.user, group: CONTRACT.frontend.user }, { user: CONTRACT.database.user, group: CONTRACT.database.user },
  ]);
  expect(BACKEND.runAs.user).toBeGreaterThan(0);
  // README, Security, names the uid chosen for the backend, whose image sets none.
  expect(README).toContain(`\`${BACKEND.name}\` as ${BACKEND.runAs.user}`);
});

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

  test('every container can write /tmp; pods mount emptyDirs with a size limit, and only claims of their own output', () => {
    const claims = ofKind(objects, 'PersistentVolumeClaim').map((c) => c.metadata.name);
    for (const { owner, spec } of pods) {
      const volumes = new Map(spec.volumes.map((v: any) => [v.name, v]));
      for (const v of spec.volumes) {
        if (v.persistentVolumeClaim) {
          expect([owner, claims]).toEqual([owner, expect.arrayContaining([v.persistentVolumeClaim.claimName])]);
          continue;
        }
        expect([owner, Object.keys(v).sort()]).toEqual([owner, ['emptyDir', 'name']]);
        expect(v.emptyDir.sizeLimit).toMatch(/^\d+Mi$/);
      }
      for (const c of containers(spec)) {
        expect(c.volumeMounts).toContainEqual({ name: 'tmp', mountPath: '/tmp' });
        // `data` is the StatefulSet's claim template.
        for (const m of c.volumeMounts) expect([owner, m.name, volumes.has(m.name) || m.name === 'data']).toEqual([owner, m.name, true]);
      }
    }
  });

  test('a pod\'s node disk limit covers the caps of its emptyDirs on disk at once, so only a cap evicts a runaway write', () => {
    for (const { owner, spec } of pods) {
      const caps = spec.volumes.filter((v: any) => v.emptyDir && v.emptyDir.medium !== 'Memory').reduce((sum: number, v: any) => sum + quantityValue(v.emptyDir.sizeLimit)!, 0);
      // The pod's limit, as the kubelet counts it: its containers' sum, or an init container's if larger.
      const disk = (c: any) => quantityValue(c.resources.limits['ephemeral-storage'])!;
      const limit = Math.max(spec.containers.reduce((sum: number, c: any) => sum + disk(c), 0), ...(spec.initContainers ?? []).map(disk));
      expect([owner, limit > caps]).toEqual([owner, true]);
    }
  });

  test('every container has requests and limits, the registry\'s where it sets them, a pinned image, pulled Always unless immutable', () => {
    for (const { owner, name, spec } of pods) {
      for (const c of containers(spec)) {
        expect(Object.keys(c.resources.requests).sort()).toEqual(['cpu', 'ephemeral-storage', 'memory']);
        expect(Object.keys(c.resources.limits).sort()).toEqual(['cpu', 'ephemeral-storage', 'memory']);
        const configured = configuredResources(env, name);
        if (configured) expect([owner, c.name, c.resources]).toEqual([owner, c.name, configured]);
        expect([c.image, c.imagePullPolicy]).toEqual([c.image, /:v\d+\.\d+\.\d+$/.test(c.image) ? 'IfNotPresent' : 'Always']);
        expect(c.image).toMatch(/:[A-Za-z0-9_][A-Za-z0-9_.-]*$/);
        expect(c.image).not.toMatch(/:latest$/);
      }
    }
  });

  test('each workload has its own ServiceAccount, with no token except the restart job', () => {
    const accounts = ofKind(objects, 'ServiceAccount');
    for (const { owner, name, spec } of pods) {
      const account = accounts.find((a) => a.metadata.name === spec.serviceAccountName);
      expect([owner, account?.metadata.name]).toEqual([owner, spec.serviceAccountName]);
      const mounts = name === JOBS.restart;
      expect([owner, spec.automountServiceAccountToken, (account as any).automountServiceAccountToken]).toEqual([owner, mounts, mounts]);
    }
    expect(new Set(pods.map((p) => p.spec.serviceAccountName)).size).toBe(pods.length);
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

  test('tiers that never run alone get a disruption budget, tiers that may run more than one pod node spreading; rollouts never drop below the wanted count', () => {
    const tiers: Record<string, WebTierConfig> = { [FRONTEND.name]: env.frontend, [BACKEND.name]: env.backend };
    for (const d of ofKind(objects, 'Deployment')) {
      const tier = tiers[d.metadata.labels!['app.kubernetes.io/name']]!;
      const [fewest, most] = tier.autoscale ? [tier.autoscale.min, tier.autoscale.max] : [tier.replicas!, tier.replicas!];
      expect(d.spec.strategy.rollingUpdate).toEqual({ maxUnavailable: 0, maxSurge: '50%' });
      const pdb = objects.find((o) => o.kind === 'PodDisruptionBudget' && o.metadata.name === d.metadata.name);
      expect(pdb?.spec).toEqual(fewest > 1 ? { maxUnavailable: 1, selector: d.spec.selector } : undefined);
      const spread = d.spec.template.spec.topologySpreadConstraints;
      expect(spread).toEqual(most > 1 ? [expect.objectContaining({ topologyKey: 'kubernetes.io/hostname', labelSelector: d.spec.selector })] : undefined);
    }
  });
});

describe.each(REGISTERED)('the Namespace of %s', (_name, env) => {
  test('enforces, audits and warns "restricted" at the cluster\'s own version of the profile', () => {
    // A pinned version would switch off the checks added after it (test/cluster-admission.test.ts shows one).
    const version = 'latest';
    expect(POD_SECURITY_VERSION).toBe(version);
    expect(README).toContain(`\`${version}\``);
    const namespace = ofKind(objectsOf(env), 'Namespace');
    expect(namespace.map((n) => n.metadata.labels)).toEqual([expect.objectContaining({
      'pod-security.kubernetes.io/enforce': 'restricted', 'pod-security.kubernetes.io/enforce-version': version,
      'pod-security.kubernetes.io/audit': 'restricted', 'pod-security.kubernetes.io/audit-version': version,
      'pod-security.kubernetes.io/warn': 'restricted', 'pod-security.kubernetes.io/warn-version': version,
    })]);
  });
});

describe('NetworkPolicies allow the call sequence and nothing more', () => {
  const pod = (env: Environment, name: string): Endpoint => ({ namespace: env.namespace, labels: { 'app.kubernetes.io/name': name, 'app.kubernetes.io/instance': env.namespace } });
  const controllerOf = (env: Environment) => ({ namespace: env.ingress.controller.namespace, labels: { ...env.ingress.controller.podLabels } });
  const kubeDns: Endpoint = { namespace: 'kube-system', labels: { 'k8s-app': 'kube-dns' } };
  const stranger: Endpoint = { namespace: 'default', labels: { app: 'curl' } };
  const internet: Endpoint = { ip: '151.101.1.1' };
  const clusterIp: Endpoint = { ip: '10.1.2.3' };
  const { frontend: { port: FE }, backend: { port: BE }, database: { port: DB } } = CONTRACT;

  test.each(REGISTERED)('%s', (_name, env) => {
    const o = objectsOf(env);
    const controller = controllerOf(env);
    const [frontend, wag, db, migrate, index] = [FRONTEND.name, BACKEND.name, DATABASE.name, JOBS.migrate, JOBS.updateIndex].map((n) => pod(env, n));
    const table: [string, Endpoint, Endpoint, number, boolean][] = [
      ['ingress controller → frontend', controller, frontend, FE, true],
      ['ingress controller → backend', controller, wag, BE, true],
      ['ingress controller → db', controller, db, DB, false],
      ['ingress controller → frontend, other port', controller, frontend, 8080, false],
      ['other pods of the controller\'s namespace → frontend', { namespace: controller.namespace, labels: { app: 'other' } }, frontend, FE, false],
      ['other namespace → frontend', stranger, frontend, FE, false],
      ['frontend → backend', frontend, wag, BE, true],
      ['frontend → db', frontend, db, DB, false],
      ['backend → db', wag, db, DB, true],
      ['backend → frontend', wag, frontend, FE, false],
      ['migrations → db', migrate, db, DB, true],
      ['index update → db', index, db, DB, true],
      ['db → backend', db, wag, BE, false],
      ['db → internet', db, internet, 443, false],
      ['frontend → internet HTTPS', frontend, internet, 443, true],
      ['backend → internet HTTPS', wag, internet, 443, true],
      ['backend → internet HTTP', wag, internet, 80, false],
      ['backend → cluster range on 443', wag, clusterIp, 443, false],
      ['index update → internet HTTPS', index, internet, 443, true],
      ['migrations → internet HTTPS', migrate, internet, 443, false],
    ];
    if (env.database.mode === 'statefulset' && env.database.backup) {
      table.push(['backup → db', pod(env, BACKUP.backup), db, DB, true], ['backup → internet', pod(env, BACKUP.backup), internet, 443, false]);
    }
    for (const [what, from, to, port, expected] of table) expect([what, allowed(o, from, to, port)]).toEqual([what, expected]);
    for (const p of [frontend, wag, db, migrate, index]) {
      expect(allowed(o, p, kubeDns, 53, 'UDP')).toBe(true);
      expect(allowed(o, p, kubeDns, 53, 'TCP')).toBe(true);
      expect(allowed(o, p, stranger, 53, 'UDP')).toBe(false);
    }
    // The default deny: a pod nothing declared may neither be reached nor reach anything.
    const unknown = pod(env, 'not-a-workload');
    expect([allowed(o, frontend, unknown, FE), allowed(o, unknown, kubeDns, 53, 'UDP'), allowed(o, unknown, internet, 443)]).toEqual([false, false, false]);
  });

  test('the restart job reaches only the API server', () => {
    const o = objectsOf(PRODUCTION);
    const restart = pod(PRODUCTION, JOBS.restart);
    const api = PRODUCTION.jobs.restartBackend!.apiServer;
    expect(allowed(o, restart, { ip: api.cidr.split('/')[0]! }, api.port)).toBe(true);
    expect(allowed(o, restart, internet, 443)).toBe(false);
    expect(allowed(o, restart, pod(PRODUCTION, DATABASE.name), DB)).toBe(false);
  });

  test('an external database is reached where it is, and only from the backend and its jobs', () => {
    const o = objectsOf(EXTERNAL_DB);
    if (EXTERNAL_DB.database.mode !== 'external' || !('podLabels' in EXTERNAL_DB.database.peer)) throw new Error('not an in-cluster external database');
    const cnpg: Endpoint = { namespace: EXTERNAL_DB.namespace, labels: { ...EXTERNAL_DB.database.peer.podLabels } };
    const port = EXTERNAL_DB.database.port;
    expect(allowed(o, pod(EXTERNAL_DB, BACKEND.name), cnpg, port)).toBe(true);
    expect(allowed(o, pod(EXTERNAL_DB, JOBS.migrate), cnpg, port)).toBe(true);
    expect(allowed(o, pod(EXTERNAL_DB, FRONTEND.name), cnpg, port)).toBe(false);
  });

  test('the allowed outside CIDRs and the ingress controller\'s pods come from the environment', () => {
    const edge = { namespace: 'edge', podLabels: { app: 'edge-proxy' } };
    const env = variant(DEMO, {
      ingress: { ...DEMO.ingress, controller: { ...DEMO.ingress.controller, ...edge } },
      network: { egressCidrs: [{ cidr: '52.0.0.0/8' }] },
    });
    const o = objectsOf(env);
    const wag = pod(env, BACKEND.name);
    expect(allowed(o, wag, { ip: '52.1.2.3' }, 443)).toBe(true);
    expect(allowed(o, wag, internet, 443)).toBe(false);
    expect(allowed(o, { namespace: edge.namespace, labels: edge.podLabels }, pod(env, FRONTEND.name), FE)).toBe(true);
    expect(allowed(o, { namespace: edge.namespace, labels: {} }, pod(env, FRONTEND.name), FE)).toBe(false);
    expect(allowed(o, controllerOf(DEMO), pod(env, FRONTEND.name), FE)).toBe(false);
  });
});

describe('Secrets', () => {
  test('every namespace with a store fills exactly the stored Secrets from it, each key from its declared property, and makes the secret key once', () => {
    const stored = ENVIRONMENTS.filter((e) => e.externalSecrets);
    expect(stored.map((e) => e.namespace)).toContain(PRODUCTION.namespace);
    for (const env of stored) {
      const store = env.externalSecrets!;
      const externals = ofKind(objectsOf(env), 'ExternalSecret');
      expect(externals.map((e) => e.apiVersion)).toEqual(externals.map(() => 'external-secrets.io/v1'));
      const [generated, ...stored] = [externals.find((e) => e.metadata.name === GENERATED_SECRET_KEY.name)!, ...externals.filter((e) => e.metadata.name !== GENERATED_SECRET_KEY.name)];
      expect(stored.map((e) => e.spec.target.name)).toEqual(storedSecrets(env).map((s) => s.name));
      for (const e of stored) {
        const { remoteKey, properties } = store.secrets[e.metadata.name];
        expect(e.spec.secretStoreRef).toEqual({ kind: store.storeKind, name: store.storeName });
        expect(e.spec.data).toEqual(storedSecrets(env).find((s) => s.name === e.metadata.name)!.keys.map((k) => ({ secretKey: k, remoteRef: { key: remoteKey, property: properties[k] } })));
      }
      // Never refreshed, and kept when the ExternalSecret goes: the key outlives a sync and a re-created Application.
      expect(generated.spec).toMatchObject({ refreshPolicy: 'CreatedOnce', target: { name: GENERATED_SECRET_KEY.name, creationPolicy: 'Orphan' } });
      const password = find(objectsOf(env), 'Password', GENERATED_SECRET_KEY.name);
      expect(generated.spec.dataFrom).toEqual([{ sourceRef: { generatorRef: { apiVersion: password.apiVersion, kind: 'Password', name: password.metadata.name } } }]);
      expect(password.spec.secretKeys).toEqual([GENERATED_SECRET_KEY.key]);
    }
  });

  test('a namespace without a store expects them to be created by hand', () => {
    for (const env of ENVIRONMENTS.filter((e) => !e.externalSecrets)) expect(ofKind(objectsOf(env), 'ExternalSecret')).toEqual([]);
  });

  test('a store without a remote key for a required Secret is refused, naming each missing one', () => {
    const [kept, ...missing] = storedSecrets(PRODUCTION).map((s) => s.name);
    const store = PRODUCTION.externalSecrets!;
    const env = variant(PRODUCTION, { externalSecrets: { ...store, secrets: { [kept!]: store.secrets[kept!] } } });
    expect(missing.length).toBeGreaterThan(0);
    expect(environmentProblems(env)).toEqual(missing.map((name) => expect.stringMatching(
      new RegExp(`^${escapeRegExp(`${PRODUCTION.namespace}: externalSecrets.secrets has no entry for Secret "${name}"`)}`),
    )));
  });

  test('the README\'s table is the Secret catalogue of every namespace that makes its Secrets by hand, with its own database', () => {
    const byHand = [...ENVIRONMENTS, previewFor({ repo: 'ov-frontend', number: 1 })].filter((e) => e.database.mode === 'statefulset' && !e.externalSecrets);
    expect(byHand.length).toBeGreaterThan(0);
    for (const env of byHand) {
      expect([env.namespace, requiredSecrets(env)]).toEqual([env.namespace, readmeSecrets()]);
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
    expect(environmentProblems(env)).toEqual([expect.stringMatching(new RegExp(`^${escapeRegExp(DEMO.namespace)}: backend\\.tag `))]);
  });
});
