/** Rules [pod-security] (Pod Security Standards "restricted", Kubernetes 1.28) and [read-only-root]. */
import { templatesOf, type Issue, type Rule } from './context';
import { at, describe, isObject, list, obj, str, type JsonObject } from '../../objects/json';
import { containersOf, type ContainerRef, type PodTemplate } from '../../objects/pods';

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
  let value: unknown = node;
  for (const k of keys) value = obj(value)[k];
  return value;
}

/** A field path below `base`; built only for an issue, since most checks find none. */
function fieldOf(base: string, ...keys: ReadonlyArray<string | number>): string {
  let path = base;
  for (const k of keys) path = at(path, k);
  return path;
}

// The checks below append to `out` rather than return lists: they run over every pod of every synth.

function hostNamespaceIssues(out: Issue[], spec: JsonObject, specPath: string): void {
  for (const key of HOST_NAMESPACES) {
    if (spec[key] === true) out.push({ field: at(specPath, key), message: `${key} is true; must be unset or false` });
  }
}

function volumeIssues(out: Issue[], spec: JsonObject, specPath: string): void {
  list(spec.volumes).forEach((item, i) => {
    if (!isObject(item)) return;
    for (const type in item) {
      if (type === 'name' || ALLOWED_VOLUME_TYPES.has(type)) continue;
      out.push({
        field: fieldOf(specPath, 'volumes', i, type),
        message: `volume ${describe(item.name)} is of type ${type}; allowed types: ${[...ALLOWED_VOLUME_TYPES].join(', ')}`,
      });
    }
  });
}

function sysctlIssues(out: Issue[], podSc: JsonObject, scPath: string): void {
  list(podSc.sysctls).forEach((item, i) => {
    if (isObject(item) && !SAFE_SYSCTLS.has(str(item.name) ?? '')) {
      out.push({ field: fieldOf(scPath, 'sysctls', i, 'name'), message: `sysctl ${describe(item.name)} is not in the safe set` });
    }
  });
}

function appArmorIssues(out: Issue[], t: PodTemplate): void {
  const annotations = obj(obj(t.template.metadata).annotations);
  for (const key in annotations) {
    const value = annotations[key];
    if (!key.startsWith(APPARMOR_PREFIX) || value === 'runtime/default' || String(value).startsWith('localhost/')) continue;
    out.push({ field: fieldOf(t.path, 'metadata', 'annotations', key), message: `AppArmor profile is ${describe(value)}; must be runtime/default or localhost/*` });
  }
}

/** Checks that apply alike to the pod securityContext and to a container's. */
function securityContextIssues(out: Issue[], sc: JsonObject, scPath: string): void {
  if (sc.runAsUser === 0) out.push({ field: at(scPath, 'runAsUser'), message: 'runAsUser is 0 (root); must be a non-zero UID' });
  const selinux = obj(sc.seLinuxOptions);
  if (selinux.type !== undefined && !SELINUX_TYPES.has(String(selinux.type))) {
    out.push({ field: fieldOf(scPath, 'seLinuxOptions', 'type'), message: `SELinux type is ${describe(selinux.type)}; must be unset or one of ${[...SELINUX_TYPES].join(', ')}` });
  }
  for (const key of ['user', 'role']) {
    if (selinux[key] !== undefined) out.push({ field: fieldOf(scPath, 'seLinuxOptions', key), message: `SELinux ${key} is ${describe(selinux[key])}; must be unset` });
  }
  if (obj(sc.windowsOptions).hostProcess === true) {
    out.push({ field: fieldOf(scPath, 'windowsOptions', 'hostProcess'), message: 'hostProcess is true; must be unset or false' });
  }
}

function podLevelSettingIssues(out: Issue[], setting: InheritedSetting, podSc: JsonObject, scPath: string): void {
  const value = read(podSc, setting.keys);
  if (value !== undefined && !setting.ok(value)) {
    out.push({ field: fieldOf(scPath, ...setting.keys), message: `${setting.keys.join('.')} is ${describe(value)}; must be ${setting.required}` });
  }
}

function containerSettingIssues(out: Issue[], setting: InheritedSetting, podSc: JsonObject, c: ContainerRef): void {
  const value = read(obj(c.container.securityContext), setting.keys);
  const unset = value === undefined && read(podSc, setting.keys) === undefined;
  if (!unset && (value === undefined || setting.ok(value))) return;
  const field = fieldOf(c.path, 'securityContext', ...setting.keys);
  const name = setting.keys.join('.');
  out.push(unset
    ? { field, message: `${name} is unset here and in the pod securityContext; must be ${setting.required}` }
    : { field, message: `${name} is ${describe(value)}; must be ${setting.required}` });
}

function capabilityIssues(out: Issue[], sc: JsonObject, scPath: string): void {
  const caps = obj(sc.capabilities);
  if (!list(caps.drop).includes('ALL')) {
    out.push({ field: fieldOf(scPath, 'capabilities', 'drop'), message: `capabilities.drop is ${describe(caps.drop)}; must include ALL` });
  }
  list(caps.add).forEach((cap, i) => {
    if (cap !== 'NET_BIND_SERVICE') out.push({ field: fieldOf(scPath, 'capabilities', 'add', i), message: `adds ${describe(cap)}; only NET_BIND_SERVICE may be added` });
  });
}

function containerIssues(out: Issue[], c: ContainerRef, podSc: JsonObject): void {
  const sc = obj(c.container.securityContext);
  const scPath = at(c.path, 'securityContext');
  if (sc.privileged === true) out.push({ field: at(scPath, 'privileged'), message: 'privileged is true; must be unset or false' });
  if (sc.allowPrivilegeEscalation !== false) {
    out.push({ field: at(scPath, 'allowPrivilegeEscalation'), message: `allowPrivilegeEscalation is ${describe(sc.allowPrivilegeEscalation)}; must be false` });
  }
  if (sc.procMount !== undefined && sc.procMount !== 'Default') {
    out.push({ field: at(scPath, 'procMount'), message: `procMount is ${describe(sc.procMount)}; must be unset or Default` });
  }
  capabilityIssues(out, sc, scPath);
  securityContextIssues(out, sc, scPath);
  containerSettingIssues(out, RUN_AS_NON_ROOT, podSc, c);
  containerSettingIssues(out, SECCOMP_TYPE, podSc, c);
  list(c.container.ports).forEach((item, i) => {
    if (isObject(item) && item.hostPort !== undefined && item.hostPort !== 0) {
      out.push({ field: fieldOf(c.path, 'ports', i, 'hostPort'), message: `hostPort is ${describe(item.hostPort)}; must be unset or 0` });
    }
  });
}

function podSecurityIssues(out: Issue[], t: PodTemplate): void {
  const spec = obj(t.template.spec);
  const specPath = at(t.path, 'spec');
  const podSc = obj(spec.securityContext);
  const scPath = at(specPath, 'securityContext');
  hostNamespaceIssues(out, spec, specPath);
  volumeIssues(out, spec, specPath);
  securityContextIssues(out, podSc, scPath);
  podLevelSettingIssues(out, RUN_AS_NON_ROOT, podSc, scPath);
  podLevelSettingIssues(out, SECCOMP_TYPE, podSc, scPath);
  sysctlIssues(out, podSc, scPath);
  appArmorIssues(out, t);
  for (const c of containersOf(t)) containerIssues(out, c, podSc);
}

/** Protects against pods that a namespace enforcing Pod Security "restricted" would refuse to admit. */
export const podSecurityRule: Rule = {
  id: 'pod-security',
  check: (o, _i, ctx) => {
    const out: Issue[] = [];
    for (const t of templatesOf(o, ctx)) podSecurityIssues(out, t);
    return out;
  },
};

/** Protects against containers that can write to their image filesystem (tampering, unbounded disk use). */
export const readOnlyRootRule: Rule = {
  id: 'read-only-root',
  check: (o, _i, ctx) => {
    const out: Issue[] = [];
    for (const t of templatesOf(o, ctx)) {
      for (const { container, path } of containersOf(t, ['containers', 'initContainers'])) {
        const value = obj(container.securityContext).readOnlyRootFilesystem;
        if (value !== true) out.push({ field: fieldOf(path, 'securityContext', 'readOnlyRootFilesystem'), message: `readOnlyRootFilesystem is ${describe(value)}; must be true` });
      }
    }
    return out;
  },
};
