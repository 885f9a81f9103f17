/** Rules [pod-security] (Pod Security Standards "restricted", Kubernetes 1.28) and [read-only-root]. */
import type { Issue, Rule } from './context';
import { at, describe, items, list, obj, str, type JsonObject } from '../inspect/json';
import { containersOf, podTemplates, type ContainerRef, type PodTemplate } from '../inspect/pods';

const HOST_NAMESPACES = ['hostNetwork', 'hostPID', 'hostIPC'] as const;

const ALLOWED_VOLUME_TYPES: ReadonlySet<string> = new Set([
  'configMap', 'csi', 'downwardAPI', 'emptyDir', 'ephemeral', 'persistentVolumeClaim', 'projected', 'secret',
]);

const SAFE_SYSCTLS: ReadonlySet<string> = new Set([
  'kernel.shm_rmid_forced', 'net.ipv4.ip_local_port_range', 'net.ipv4.ip_unprivileged_port_start',
  'net.ipv4.tcp_syncookies', 'net.ipv4.ping_group_range', 'net.ipv4.ip_local_reserved_ports',
  'net.ipv4.tcp_keepalive_time', 'net.ipv4.tcp_fin_timeout', 'net.ipv4.tcp_keepalive_intvl',
  'net.ipv4.tcp_keepalive_probes',
]);

const SELINUX_TYPES: ReadonlySet<string> = new Set(['container_t', 'container_init_t', 'container_kvm_t']);

const APPARMOR_PREFIX = 'container.apparmor.security.beta.kubernetes.io/';

/** A setting required on the pod securityContext or else on every container's securityContext. */
interface InheritedSetting {
  readonly keys: readonly string[];
  readonly ok: (v: unknown) => boolean;
  readonly required: string;
}

const RUN_AS_NON_ROOT: InheritedSetting = { keys: ['runAsNonRoot'], ok: (v) => v === true, required: 'true' };
const SECCOMP_TYPE: InheritedSetting = {
  keys: ['seccompProfile', 'type'],
  ok: (v) => v === 'RuntimeDefault' || v === 'Localhost',
  required: 'RuntimeDefault or Localhost',
};

function read(node: JsonObject, keys: readonly string[]): unknown {
  return keys.reduce<unknown>((n, k) => obj(n)[k], node);
}

function fieldOf(base: string, keys: readonly string[]): string {
  return keys.reduce((p, k) => at(p, k), base);
}

function* hostNamespaceIssues(spec: JsonObject, specPath: string): Generator<Issue> {
  for (const key of HOST_NAMESPACES) {
    if (spec[key] === true) yield { field: at(specPath, key), message: `${key} is true; must be unset or false` };
  }
}

function* volumeIssues(spec: JsonObject, specPath: string): Generator<Issue> {
  for (const { item, path } of items(spec.volumes, at(specPath, 'volumes'))) {
    for (const type of Object.keys(item).filter((k) => k !== 'name' && !ALLOWED_VOLUME_TYPES.has(k))) {
      yield {
        field: at(path, type),
        message: `volume ${describe(item.name)} is of type ${type}; allowed types: ${[...ALLOWED_VOLUME_TYPES].join(', ')}`,
      };
    }
  }
}

function* sysctlIssues(podSc: JsonObject, scPath: string): Generator<Issue> {
  for (const { item, path } of items(podSc.sysctls, at(scPath, 'sysctls'))) {
    const name = str(item.name) ?? '';
    if (!SAFE_SYSCTLS.has(name)) yield { field: at(path, 'name'), message: `sysctl ${describe(item.name)} is not in the safe set` };
  }
}

function* appArmorIssues(t: PodTemplate): Generator<Issue> {
  const annotations = obj(obj(t.template.metadata).annotations);
  for (const [key, value] of Object.entries(annotations)) {
    if (!key.startsWith(APPARMOR_PREFIX) || value === 'runtime/default' || String(value).startsWith('localhost/')) continue;
    yield { field: at(at(at(t.path, 'metadata'), 'annotations'), key), message: `AppArmor profile is ${describe(value)}; must be runtime/default or localhost/*` };
  }
}

/** Checks that apply alike to the pod securityContext and to a container's. */
function* securityContextIssues(sc: JsonObject, scPath: string): Generator<Issue> {
  if (sc.runAsUser === 0) yield { field: at(scPath, 'runAsUser'), message: 'runAsUser is 0 (root); must be a non-zero UID' };
  const selinux = obj(sc.seLinuxOptions);
  if (selinux.type !== undefined && !SELINUX_TYPES.has(String(selinux.type))) {
    yield { field: fieldOf(scPath, ['seLinuxOptions', 'type']), message: `SELinux type is ${describe(selinux.type)}; must be unset or one of ${[...SELINUX_TYPES].join(', ')}` };
  }
  for (const key of ['user', 'role'].filter((k) => selinux[k] !== undefined)) {
    yield { field: fieldOf(scPath, ['seLinuxOptions', key]), message: `SELinux ${key} is ${describe(selinux[key])}; must be unset` };
  }
  if (obj(sc.windowsOptions).hostProcess === true) {
    yield { field: fieldOf(scPath, ['windowsOptions', 'hostProcess']), message: 'hostProcess is true; must be unset or false' };
  }
}

function* podLevelSettingIssues(setting: InheritedSetting, podSc: JsonObject, scPath: string): Generator<Issue> {
  const value = read(podSc, setting.keys);
  if (value !== undefined && !setting.ok(value)) {
    yield { field: fieldOf(scPath, setting.keys), message: `${setting.keys.join('.')} is ${describe(value)}; must be ${setting.required}` };
  }
}

function* containerSettingIssues(setting: InheritedSetting, podSc: JsonObject, c: ContainerRef): Generator<Issue> {
  const value = read(obj(c.container.securityContext), setting.keys);
  const field = fieldOf(at(c.path, 'securityContext'), setting.keys);
  const name = setting.keys.join('.');
  if (value !== undefined && !setting.ok(value)) yield { field, message: `${name} is ${describe(value)}; must be ${setting.required}` };
  if (value === undefined && read(podSc, setting.keys) === undefined) {
    yield { field, message: `${name} is unset here and in the pod securityContext; must be ${setting.required}` };
  }
}

function* capabilityIssues(sc: JsonObject, scPath: string): Generator<Issue> {
  const caps = obj(sc.capabilities);
  const capsPath = at(scPath, 'capabilities');
  if (!list(caps.drop).includes('ALL')) {
    yield { field: at(capsPath, 'drop'), message: `capabilities.drop is ${describe(caps.drop)}; must include ALL` };
  }
  for (const [i, cap] of list(caps.add).entries()) {
    if (cap !== 'NET_BIND_SERVICE') yield { field: at(at(capsPath, 'add'), i), message: `adds ${describe(cap)}; only NET_BIND_SERVICE may be added` };
  }
}

function* containerIssues(c: ContainerRef, podSc: JsonObject): Generator<Issue> {
  const sc = obj(c.container.securityContext);
  const scPath = at(c.path, 'securityContext');
  if (sc.privileged === true) yield { field: at(scPath, 'privileged'), message: 'privileged is true; must be unset or false' };
  if (sc.allowPrivilegeEscalation !== false) {
    yield { field: at(scPath, 'allowPrivilegeEscalation'), message: `allowPrivilegeEscalation is ${describe(sc.allowPrivilegeEscalation)}; must be false` };
  }
  if (sc.procMount !== undefined && sc.procMount !== 'Default') {
    yield { field: at(scPath, 'procMount'), message: `procMount is ${describe(sc.procMount)}; must be unset or Default` };
  }
  yield* capabilityIssues(sc, scPath);
  yield* securityContextIssues(sc, scPath);
  yield* containerSettingIssues(RUN_AS_NON_ROOT, podSc, c);
  yield* containerSettingIssues(SECCOMP_TYPE, podSc, c);
  for (const { item, path } of items(c.container.ports, at(c.path, 'ports'))) {
    if (item.hostPort !== undefined && item.hostPort !== 0) yield { field: at(path, 'hostPort'), message: `hostPort is ${describe(item.hostPort)}; must be unset or 0` };
  }
}

function* podSecurityIssues(t: PodTemplate): Generator<Issue> {
  const spec = obj(t.template.spec);
  const specPath = at(t.path, 'spec');
  const podSc = obj(spec.securityContext);
  const scPath = at(specPath, 'securityContext');
  yield* hostNamespaceIssues(spec, specPath);
  yield* volumeIssues(spec, specPath);
  yield* securityContextIssues(podSc, scPath);
  yield* podLevelSettingIssues(RUN_AS_NON_ROOT, podSc, scPath);
  yield* podLevelSettingIssues(SECCOMP_TYPE, podSc, scPath);
  yield* sysctlIssues(podSc, scPath);
  yield* appArmorIssues(t);
  for (const c of containersOf(t)) yield* containerIssues(c, podSc);
}

/** Protects against pods that a namespace enforcing Pod Security "restricted" would refuse to admit. */
export const podSecurityRule: Rule = { id: 'pod-security', check: (o) => podTemplates(o).flatMap((t) => [...podSecurityIssues(t)]) };

/** Protects against containers that can write to their image filesystem (tampering, unbounded disk use). */
export const readOnlyRootRule: Rule = {
  id: 'read-only-root',
  check: (o) => podTemplates(o).flatMap((t) => containersOf(t, ['containers', 'initContainers'])).flatMap(({ container, path }) => {
    const value = obj(container.securityContext).readOnlyRootFilesystem;
    if (value === true) return [];
    return [{ field: at(at(path, 'securityContext'), 'readOnlyRootFilesystem'), message: `readOnlyRootFilesystem is ${describe(value)}; must be true` }];
  }),
};
