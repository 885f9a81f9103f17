import type { KubeObject } from '../../lib/objects/kube-object';
import { assertValid, findViolations, formatViolation, ValidationError, type Violation } from '../../lib/synth/validate';

const NS = 't';

function podSecurityContext(): Record<string, unknown> {
  return { runAsNonRoot: true, runAsUser: 1001, runAsGroup: 1001, fsGroup: 1001, seccompProfile: { type: 'RuntimeDefault' } };
}

function containerSecurityContext(): Record<string, unknown> {
  return { allowPrivilegeEscalation: false, readOnlyRootFilesystem: true, capabilities: { drop: ['ALL'] } };
}

function podSpec(containers: unknown[], extra: Record<string, unknown> = {}): Record<string, unknown> {
  return { securityContext: podSecurityContext(), containers, ...extra };
}

/** A small, valid rendering of the stack in namespace `t`. Every call returns fresh objects (no shared nodes). */
function fixture(): KubeObject[] {
  return [
    { apiVersion: 'v1', kind: 'Namespace', metadata: { name: NS } },
    { apiVersion: 'v1', kind: 'ConfigMap', metadata: { name: 'web-env', namespace: NS }, data: { MODE: 'production' } },
    { apiVersion: 'v1', kind: 'ServiceAccount', metadata: { name: 'web', namespace: NS } },
    {
      apiVersion: 'apps/v1',
      kind: 'Deployment',
      metadata: { name: 'web', namespace: NS, labels: { app: 'web' } },
      spec: {
        replicas: 2,
        selector: { matchLabels: { app: 'web' } },
        template: {
          metadata: { labels: { app: 'web', 'app.kubernetes.io/part-of': 'open-vault' } },
          spec: podSpec(
            [{
              name: 'web',
              image: 'ghcr.io/open-vault/web:1.0.0',
              ports: [{ name: 'http', containerPort: 8080 }],
              envFrom: [{ configMapRef: { name: 'web-env' } }],
              readinessProbe: { httpGet: { path: '/healthz', port: 'http' } },
              resources: { requests: { cpu: '100m', memory: '128Mi' }, limits: { memory: '256Mi' } },
              securityContext: containerSecurityContext(),
              volumeMounts: [{ name: 'tmp', mountPath: '/tmp' }],
            }],
            {
              serviceAccountName: 'web',
              initContainers: [{ name: 'migrate', image: 'ghcr.io/open-vault/web:1.0.0', command: ['migrate'], securityContext: containerSecurityContext() }],
              volumes: [{ name: 'tmp', emptyDir: {} }],
            },
          ),
        },
      },
    },
    {
      apiVersion: 'v1',
      kind: 'Service',
      metadata: { name: 'web', namespace: NS },
      spec: { selector: { app: 'web' }, ports: [{ name: 'http', port: 80, targetPort: 'http' }] },
    },
    {
      apiVersion: 'apps/v1',
      kind: 'StatefulSet',
      metadata: { name: 'db', namespace: NS },
      spec: {
        serviceName: 'db',
        selector: { matchLabels: { app: 'db' } },
        template: {
          metadata: { labels: { app: 'db' } },
          spec: podSpec([{
            name: 'postgres',
            image: 'postgres:16',
            ports: [{ name: 'postgres', containerPort: 5432 }],
            securityContext: containerSecurityContext(),
            volumeMounts: [{ name: 'data', mountPath: '/var/lib/postgresql/data' }],
          }]),
        },
        volumeClaimTemplates: [{
          metadata: { name: 'data' },
          spec: { accessModes: ['ReadWriteOnce'], resources: { requests: { storage: '1Gi' } } },
        }],
      },
    },
    {
      apiVersion: 'v1',
      kind: 'Service',
      metadata: { name: 'db', namespace: NS },
      spec: { clusterIP: 'None', selector: { app: 'db' }, ports: [{ name: 'postgres', port: 5432, targetPort: 'postgres' }] },
    },
    {
      apiVersion: 'networking.k8s.io/v1',
      kind: 'Ingress',
      metadata: { name: 'web', namespace: NS },
      spec: {
        ingressClassName: 'nginx',
        rules: [{
          host: 'openvault.example.org',
          http: { paths: [{ path: '/', pathType: 'Prefix', backend: { service: { name: 'web', port: { name: 'http' } } } }] },
        }],
      },
    },
    {
      apiVersion: 'networking.k8s.io/v1',
      kind: 'NetworkPolicy',
      metadata: { name: 'db', namespace: NS },
      spec: {
        podSelector: { matchLabels: { app: 'db' } },
        policyTypes: ['Ingress'],
        ingress: [{
          from: [{ podSelector: { matchExpressions: [{ key: 'app', operator: 'In', values: ['web', 'cleanup'] }] } }],
          ports: [{ protocol: 'TCP', port: 5432 }],
        }],
      },
    },
    {
      apiVersion: 'batch/v1',
      kind: 'CronJob',
      metadata: { name: 'cleanup', namespace: NS },
      spec: {
        schedule: '0 3 * * *',
        jobTemplate: {
          spec: {
            template: {
              metadata: { labels: { app: 'cleanup' } },
              spec: podSpec(
                [{ name: 'cleanup', image: 'ghcr.io/open-vault/web:1.0.0', args: ['cleanup'], securityContext: containerSecurityContext() }],
                { restartPolicy: 'OnFailure' },
              ),
            },
          },
        },
      },
    },
  ];
}

const VALID: readonly KubeObject[] = fixture();

type Node = Record<string, unknown>;

function isNode(v: unknown): v is Node {
  return typeof v === 'object' && v !== null;
}

function byId(objects: KubeObject[], id: string): Node {
  const found = objects.find((o) => `${o.kind}/${o.metadata.namespace ? `${o.metadata.namespace}/` : ''}${o.metadata.name}` === id);
  if (!found) throw new Error(`no ${id} in fixture`);
  return found as Node;
}

/** The parent node of a `a.b[0].c` path, and the last key. */
function parentOf(root: Node, path: string): [Node, string] {
  const keys = path.split(/[.[\]]+/).filter(Boolean);
  const last = keys.pop() ?? '';
  const parent = keys.reduce<unknown>((n, k) => (isNode(n) ? n[k] : undefined), root);
  if (!isNode(parent)) throw new Error(`no ${path}`);
  return [parent, last];
}

/** Sets (or, with undefined, deletes) a field of the object `id`. */
function set(objects: KubeObject[], id: string, path: string, value: unknown): void {
  const [parent, key] = parentOf(byId(objects, id), path);
  if (value === undefined) delete parent[key];
  else parent[key] = value;
}

function broken(change: (objects: KubeObject[]) => void): KubeObject[] {
  const objects = structuredClone(fixture());
  change(objects);
  return objects;
}

const WEB = 'Deployment/t/web';
const WEB_POD = 'spec.template.spec';
const WEB_C = `${WEB_POD}.containers[0]`;

interface Case {
  readonly name: string;
  readonly change: (objects: KubeObject[]) => void;
  readonly object: string;
  readonly field: string;
  readonly rule: string;
  readonly message: string;
}

const CASES: readonly Case[] = [
  {
    name: 'wrong type (containerPort as string)',
    change: (o) => set(o, WEB, `${WEB_C}.ports[0].containerPort`, '8080'),
    object: WEB, field: `${WEB_C}.ports[0].containerPort`, rule: 'schema', message: 'must be integer (found "8080")',
  },
  {
    name: 'int-or-string given a boolean',
    change: (o) => set(o, 'Service/t/web', 'spec.ports[0].targetPort', true),
    object: 'Service/t/web', field: 'spec.ports[0].targetPort', rule: 'schema', message: 'must be string or must be integer (found true)',
  },
  {
    name: 'missing required field',
    change: (o) => set(o, WEB, `${WEB_C}.name`, undefined),
    object: WEB, field: `${WEB_C}.name`, rule: 'schema', message: 'required field is missing',
  },
  {
    name: 'unknown built-in kind',
    change: (o) => o.push({ apiVersion: 'apps/v1', kind: 'Deploymnet', metadata: { name: 'x', namespace: NS } }),
    object: 'Deploymnet/t/x', field: 'kind', rule: 'schema', message: '"Deploymnet" is not a known apps/v1 kind',
  },
  {
    name: 'runAsUser 0',
    change: (o) => set(o, WEB, `${WEB_POD}.securityContext.runAsUser`, 0),
    object: WEB, field: `${WEB_POD}.securityContext.runAsUser`, rule: 'pod-security', message: 'runAsUser is 0 (root); must be a non-zero UID',
  },
  {
    name: 'missing drop ALL',
    change: (o) => set(o, WEB, `${WEB_C}.securityContext.capabilities.drop`, ['NET_RAW']),
    object: WEB, field: `${WEB_C}.securityContext.capabilities.drop`, rule: 'pod-security', message: 'capabilities.drop is ["NET_RAW"]; must include ALL',
  },
  {
    name: 'added capability SYS_ADMIN',
    change: (o) => set(o, WEB, `${WEB_C}.securityContext.capabilities.add`, ['SYS_ADMIN']),
    object: WEB, field: `${WEB_C}.securityContext.capabilities.add[0]`, rule: 'pod-security', message: 'adds "SYS_ADMIN"; only NET_BIND_SERVICE may be added',
  },
  {
    name: 'allowPrivilegeEscalation true on an initContainer',
    change: (o) => set(o, WEB, `${WEB_POD}.initContainers[0].securityContext.allowPrivilegeEscalation`, true),
    object: WEB, field: `${WEB_POD}.initContainers[0].securityContext.allowPrivilegeEscalation`, rule: 'pod-security', message: 'allowPrivilegeEscalation is true; must be false',
  },
  {
    name: 'hostPath volume',
    change: (o) => set(o, WEB, `${WEB_POD}.volumes[1]`, { name: 'host', hostPath: { path: '/var/run' } }),
    object: WEB, field: `${WEB_POD}.volumes[1].hostPath`, rule: 'pod-security', message: 'volume "host" is of type hostPath',
  },
  {
    name: 'seccomp Unconfined',
    change: (o) => set(o, WEB, `${WEB_POD}.securityContext.seccompProfile.type`, 'Unconfined'),
    object: WEB, field: `${WEB_POD}.securityContext.seccompProfile.type`, rule: 'pod-security', message: 'is "Unconfined"; must be RuntimeDefault or Localhost',
  },
  {
    name: 'runAsNonRoot set neither on the pod nor on the container',
    change: (o) => set(o, 'CronJob/t/cleanup', 'spec.jobTemplate.spec.template.spec.securityContext.runAsNonRoot', undefined),
    object: 'CronJob/t/cleanup',
    field: 'spec.jobTemplate.spec.template.spec.containers[0].securityContext.runAsNonRoot',
    rule: 'pod-security',
    message: 'runAsNonRoot is unset here and in the pod securityContext; must be true',
  },
  {
    name: 'hostNetwork',
    change: (o) => set(o, 'StatefulSet/t/db', `${WEB_POD}.hostNetwork`, true),
    object: 'StatefulSet/t/db', field: `${WEB_POD}.hostNetwork`, rule: 'pod-security', message: 'hostNetwork is true',
  },
  {
    name: 'unsafe sysctl',
    change: (o) => set(o, WEB, `${WEB_POD}.securityContext.sysctls`, [{ name: 'kernel.msgmax', value: '65536' }]),
    object: WEB, field: `${WEB_POD}.securityContext.sysctls[0].name`, rule: 'pod-security', message: 'sysctl "kernel.msgmax" is not in the safe set',
  },
  {
    name: 'readOnlyRootFilesystem missing',
    change: (o) => set(o, WEB, `${WEB_C}.securityContext.readOnlyRootFilesystem`, undefined),
    object: WEB, field: `${WEB_C}.securityContext.readOnlyRootFilesystem`, rule: 'read-only-root', message: 'readOnlyRootFilesystem is unset; must be true',
  },
  {
    name: 'service selector matching nothing',
    change: (o) => set(o, 'Service/t/web', 'spec.selector.app', 'wbe'),
    object: 'Service/t/web', field: 'spec.selector', rule: 'service-selector', message: 'selector "app=wbe" selects no pod template in namespace "t"',
  },
  {
    name: 'targetPort naming no port',
    change: (o) => set(o, 'Service/t/web', 'spec.ports[0].targetPort', 'htp'),
    object: 'Service/t/web', field: 'spec.ports[0].targetPort', rule: 'target-port', message: 'targetPort "htp" matches no containerPort of Deployment/t/web (it has: http=8080)',
  },
  {
    name: 'absent targetPort defaults to a port nothing listens on',
    change: (o) => set(o, 'Service/t/db', 'spec.ports[0]', { name: 'postgres', port: 5433 }),
    object: 'Service/t/db', field: 'spec.ports[0].targetPort', rule: 'target-port', message: 'targetPort 5433 matches no containerPort of StatefulSet/t/db',
  },
  {
    name: 'ingress to a missing Service',
    change: (o) => set(o, 'Ingress/t/web', 'spec.rules[0].http.paths[0].backend.service.name', 'frontend'),
    object: 'Ingress/t/web', field: 'spec.rules[0].http.paths[0].backend.service.name', rule: 'ingress-backend', message: 'Service "frontend" is not in namespace "t"',
  },
  {
    name: 'ingress to a missing port',
    change: (o) => set(o, 'Ingress/t/web', 'spec.rules[0].http.paths[0].backend.service.port', { name: 'https' }),
    object: 'Ingress/t/web', field: 'spec.rules[0].http.paths[0].backend.service.port.name', rule: 'ingress-backend', message: 'Service "web" has no port named "https"',
  },
  {
    name: 'default backend to a missing port number',
    change: (o) => set(o, 'Ingress/t/web', 'spec.defaultBackend', { service: { name: 'web', port: { number: 8080 } } }),
    object: 'Ingress/t/web', field: 'spec.defaultBackend.service.port.number', rule: 'ingress-backend', message: 'Service "web" has no port numbered 8080 (it has: http=80)',
  },
  {
    name: 'serviceName not headless',
    change: (o) => set(o, 'Service/t/db', 'spec.clusterIP', undefined),
    object: 'StatefulSet/t/db', field: 'spec.serviceName', rule: 'headless-service', message: 'Service "db" has clusterIP unset; must be a Service with clusterIP: None',
  },
  {
    name: 'missing ConfigMap',
    change: (o) => set(o, WEB, `${WEB_C}.envFrom[0].configMapRef.name`, 'web-config'),
    object: WEB, field: `${WEB_C}.envFrom[0].configMapRef.name`, rule: 'configmap-ref', message: 'ConfigMap "web-config" is not in namespace "t"',
  },
  {
    name: 'missing ConfigMap behind a projected volume',
    change: (o) => set(o, 'CronJob/t/cleanup', 'spec.jobTemplate.spec.template.spec.volumes', [{ name: 'cfg', projected: { sources: [{ configMap: { name: 'cleanup' } }] } }]),
    object: 'CronJob/t/cleanup',
    field: 'spec.jobTemplate.spec.template.spec.volumes[0].projected.sources[0].configMap.name',
    rule: 'configmap-ref',
    message: 'ConfigMap "cleanup" is not in namespace "t"',
  },
  {
    name: 'NetworkPolicy selecting nothing',
    change: (o) => set(o, 'NetworkPolicy/t/db', 'spec.podSelector.matchLabels.app', 'postgres'),
    object: 'NetworkPolicy/t/db', field: 'spec.podSelector', rule: 'network-policy-selector', message: 'selector "app=postgres" selects no pod template in namespace "t"',
  },
  {
    name: 'NetworkPolicy peer (matchExpressions) selecting nothing',
    change: (o) => set(o, 'NetworkPolicy/t/db', 'spec.ingress[0].from[0].podSelector.matchExpressions[0].values', ['frontend']),
    object: 'NetworkPolicy/t/db',
    field: 'spec.ingress[0].from[0].podSelector',
    rule: 'network-policy-selector',
    message: 'selector "app in (frontend)" selects no pod template in namespace "t"',
  },
  {
    name: 'missing namespace',
    change: (o) => set(o, 'ServiceAccount/t/web', 'metadata.namespace', undefined),
    object: 'ServiceAccount/web', field: 'metadata.namespace', rule: 'namespace', message: 'namespaced ServiceAccount must set its namespace',
  },
  {
    name: 'namespace on a cluster-scoped object',
    change: (o) => set(o, 'Namespace/t', 'metadata.namespace', 'default'),
    object: 'Namespace/default/t', field: 'metadata.namespace', rule: 'namespace', message: 'cluster-scoped Namespace must not set a namespace',
  },
  {
    name: 'duplicate',
    change: (o) => o.push(structuredClone(byId(o, 'ConfigMap/t/web-env')) as KubeObject),
    object: 'ConfigMap/t/web-env', field: 'metadata.name', rule: 'duplicate', message: 'same group, kind, namespace and name as object #2 (ConfigMap/t/web-env)',
  },
];

describe('findViolations', () => {
  test('the valid fixture has no violations', () => {
    expect(findViolations(VALID)).toEqual([]);
  });

  test.each(CASES)('$name', (c) => {
    expect(findViolations(broken(c.change))).toEqual([
      { object: c.object, field: c.field, rule: c.rule, message: expect.stringContaining(c.message) },
    ]);
  });

  test('an optional ConfigMap reference may be missing', () => {
    const objects = broken((o) => set(o, WEB, `${WEB_C}.envFrom[0].configMapRef`, { name: 'overrides', optional: true }));
    expect(findViolations(objects)).toEqual([]);
  });

  test('violations are ordered by object, then by field', () => {
    const objects = broken((o) => {
      set(o, 'Service/t/web', 'spec.ports[0].targetPort', 'htp');
      set(o, WEB, `${WEB_C}.securityContext`, undefined);
      set(o, WEB, `${WEB_POD}.initContainers[0].securityContext.readOnlyRootFilesystem`, false);
    });
    expect(findViolations(objects).map((v) => [v.object, v.field, v.rule])).toEqual([
      [WEB, `${WEB_C}.securityContext.allowPrivilegeEscalation`, 'pod-security'],
      [WEB, `${WEB_C}.securityContext.capabilities.drop`, 'pod-security'],
      [WEB, `${WEB_C}.securityContext.readOnlyRootFilesystem`, 'read-only-root'],
      [WEB, `${WEB_POD}.initContainers[0].securityContext.readOnlyRootFilesystem`, 'read-only-root'],
      ['Service/t/web', 'spec.ports[0].targetPort', 'target-port'],
    ]);
  });
});

describe('reporting', () => {
  const violation: Violation = { object: WEB, field: `${WEB_C}.image`, rule: 'schema', message: 'must be string' };

  test('formatViolation gives one line', () => {
    expect(formatViolation(violation)).toBe('Deployment/t/web: spec.template.spec.containers[0].image: must be string [schema]');
  });

  test('assertValid passes the valid fixture', () => {
    expect(() => assertValid(VALID)).not.toThrow();
  });

  test('assertValid throws a ValidationError listing every violation', () => {
    const objects = broken((o) => {
      set(o, WEB, `${WEB_C}.securityContext.readOnlyRootFilesystem`, false);
      set(o, 'Ingress/t/web', 'spec.rules[0].http.paths[0].backend.service.name', 'frontend');
    });
    const expected = findViolations(objects);
    expect(expected).toHaveLength(2);
    let thrown: unknown;
    try {
      assertValid(objects);
    } catch (e) {
      thrown = e;
    }
    expect(thrown).toBeInstanceOf(ValidationError);
    const error = thrown as ValidationError;
    expect(error.violations).toEqual(expected);
    expect(error.message.split('\n')).toEqual([expect.stringContaining('2 violations'), ...expected.map(formatViolation)]);
  });
});
