/**
 * The typed description of one Open Vault environment, and the checks that keep a bad one
 * from ever reaching a manifest. The registry of real environments is in `environments.ts`.
 */
import { requiredSecrets } from './secrets';

/** CPU and memory for one container, as Kubernetes quantities (`50m`, `1`, `50Mi`, `1Gi`). */
export interface Resources {
  readonly requests: { readonly cpu: string; readonly memory: string };
  readonly limits: { readonly cpu: string; readonly memory: string };
}

/** One of the two web tiers (ov-frontend, ov-wag). */
export interface WebTierConfig {
  /** Image tag, pinned: a release (`v1.1.0`), a branch build (`main`) or a preview (`pr-195`); never `latest`. */
  readonly tag: string;
  /** Pods behind the Service. More than one also gets a PodDisruptionBudget and node spreading. */
  readonly replicas: number;
  readonly resources: Resources;
}

/** Where a Secret value comes from: a key of a Secret in the namespace. */
export interface SecretKeyRef {
  readonly name: string;
  readonly key: string;
}

/** PostgreSQL run by this chart as a StatefulSet with its own volume. */
export interface InClusterDatabase {
  readonly mode: 'statefulset';
  /** Size of the data volume claim (`20Gi`). */
  readonly storage: string;
  /** Storage class of the data volume claim. @default the cluster's default class */
  readonly storageClassName?: string;
  readonly resources: Resources;
  /** Database and role names; the password is in the `ov-db` Secret. */
  readonly name: string;
  readonly user: string;
}

/** An existing PostgreSQL (for example an operator-managed cluster): no StatefulSet is emitted. */
export interface ExternalDatabase {
  readonly mode: 'external';
  /** Host name the backend connects to (`ov-db-cluster-rw`). */
  readonly host: string;
  readonly port: number;
  readonly name: string;
  readonly user: string;
  /** Where the password is. @default { name: 'ov-db', key: 'password' } */
  readonly password?: SecretKeyRef;
  /**
   * Who the NetworkPolicies let the backend and its jobs reach: pods with these labels (a database
   * in the cluster; `namespace` defaults to this one), or a CIDR (a database outside it).
   */
  readonly peer: { readonly podLabels: Readonly<Record<string, string>>; readonly namespace?: string } | { readonly cidr: string };
}

export type DatabaseConfig = InClusterDatabase | ExternalDatabase;

/** How the public host gets its certificate. */
export type TlsConfig =
  /** cert-manager issues `<host>-tls` through the named ClusterIssuer (ingress-shim annotation). */
  | { readonly mode: 'cert-manager'; readonly clusterIssuer: string }
  /** An existing TLS Secret, created by the operator. */
  | { readonly mode: 'secret'; readonly secretName: string }
  /** Plain HTTP, for a cluster that terminates TLS in front of the ingress controller. */
  | { readonly mode: 'off' };

export interface IngressConfig {
  /** IngressClass of the controller. @default 'nginx' */
  readonly className?: string;
  readonly tls: TlsConfig;
  /** Largest request body the proxy accepts (media uploads in the CMS). @default '100m' */
  readonly maxBodySize?: string;
  /** A second host that serves only the backend paths (the CMS admin). @default none */
  readonly adminHost?: string;
}

/** A CIDR the web tiers may reach on 443 (Elasticsearch, S3, Auth0), with optional holes. */
export interface EgressCidr {
  readonly cidr: string;
  readonly except?: readonly string[];
}

export interface NetworkConfig {
  /** Namespace of the ingress controller, the only source of outside traffic. @default 'ingress-nginx' */
  readonly ingressControllerNamespace?: string;
  /** Where ov-frontend and ov-wag may connect on 443. */
  readonly egressCidrs: readonly EgressCidr[];
}

/** Settings of the site that the images read from their environment. */
export interface SiteConfig {
  /** American Archive site the frontend links to. */
  readonly aapbHost: string;
  readonly organUrl: string;
  /** Elasticsearch endpoint and index names. */
  readonly esUrl: string;
  readonly esIndex: string;
  readonly gbhIndex: string;
  readonly esUser: string;
  /** Cookie consent banner id. @default unset */
  readonly cookieConsentId?: string;
  readonly auth0Url: string;
  readonly auth0ClientId: string;
  readonly googleClientId: string;
  /** Media bucket. */
  readonly s3Bucket: string;
  readonly s3Region: string;
  /** gunicorn worker processes per ov-wag pod. */
  readonly workers: number;
}

/** A cron schedule in a time zone (IANA name, as CronJob `timeZone` takes it). */
export interface Schedule {
  readonly schedule: string;
  readonly timeZone: string;
}

export interface JobsConfig {
  /** `manage.py update_index`, which rebuilds the search index. */
  readonly updateIndex: Schedule;
  /**
   * A scheduled `kubectl rollout restart` of ov-wag. The kubectl image and the API server
   * address (for its NetworkPolicy) come with it. @default off
   */
  readonly restartBackend?: RestartConfig;
}

/** The scheduled restart, with the kubectl image it runs and the API server address its NetworkPolicy allows. */
export type RestartConfig = Schedule & {
  readonly kubectlImage: string;
  readonly apiServer: { readonly cidr: string; readonly port: number };
};

/** Fill the workloads' Secrets from a secret store through the External Secrets Operator. */
export interface ExternalSecretsConfig {
  /** @default 'ClusterSecretStore' */
  readonly storeKind?: 'ClusterSecretStore' | 'SecretStore';
  readonly storeName: string;
  /** How often the operator re-reads the store. @default '1h' */
  readonly refreshInterval?: string;
  /** Remote key (a JSON secret in the store) per Secret name; each Secret key is a property of it. */
  readonly remoteKeys: Readonly<Record<string, string>>;
}

/** Where Argo CD reads this repository. */
export interface GitOpsConfig {
  readonly repoURL: string;
  readonly targetRevision: string;
  /** @default 'default' */
  readonly project?: string;
}

export type Stage = 'production' | 'demo' | 'preview';

export interface Environment {
  /** Kubernetes namespace, also the `app.kubernetes.io/instance` of every object. */
  readonly namespace: string;
  readonly stage: Stage;
  /** Public host name of the site (no scheme). */
  readonly host: string;
  readonly frontend: WebTierConfig;
  readonly backend: WebTierConfig;
  readonly database: DatabaseConfig;
  readonly ingress: IngressConfig;
  readonly network: NetworkConfig;
  readonly site: SiteConfig;
  readonly jobs: JobsConfig;
  /** @default off: the operator creates the Secrets by hand */
  readonly externalSecrets?: ExternalSecretsConfig;
  readonly gitops: GitOpsConfig;
}

/** A bad environment or command line: the message names the value and what is allowed. */
export class ConfigError extends Error {
  constructor(message: string) {
    super(message);
    this.name = 'ConfigError';
  }
}

/** The image tag grammar of the OCI distribution spec. */
export const TAG_PATTERN = /^[A-Za-z0-9_][A-Za-z0-9_.-]{0,127}$/;
const DNS_LABEL = /^[a-z0-9]([-a-z0-9]{0,61}[a-z0-9])?$/;
const CPU = /^(\d+m|\d+(\.\d+)?)$/;
const MEMORY = /^\d+(Ki|Mi|Gi|Ti)$/;
const CIDR = /^(\d{1,3})\.(\d{1,3})\.(\d{1,3})\.(\d{1,3})\/(\d{1,2})$/;
const CRON_FIELD = /^[\d*/,-]+$/;
const MAX_REPLICAS = 50;

/** Why `tag` is not a usable pinned image tag, or undefined when it is. */
export function tagProblem(tag: string): string | undefined {
  if (!TAG_PATTERN.test(tag)) {
    return 'must match [A-Za-z0-9_][A-Za-z0-9_.-]{0,127} (no spaces, slashes or colons, no leading "-" or ".", at most 128 characters)';
  }
  if (tag === 'latest') return 'must be pinned: "latest" changes under a running Deployment';
  return undefined;
}

/** A DNS subdomain such as `openvault.wgbh.org`: lowercase labels joined by dots, at most 253 characters. */
export function isHostName(host: string): boolean {
  return host.length <= 253 && host.includes('.') && host.split('.').every((l) => DNS_LABEL.test(l));
}

export function isDnsLabel(name: string): boolean {
  return DNS_LABEL.test(name);
}

export function isCidr(cidr: string): boolean {
  const m = CIDR.exec(cidr);
  return m !== null && m.slice(1, 5).every((o) => Number(o) <= 255) && Number(m[5]) <= 32;
}

/** Every problem with `env`, each naming the field, the value and what is allowed; empty when it is usable. */
export function environmentProblems(env: Environment): string[] {
  const problems: string[] = [];
  const bad = (field: string, value: unknown, allowed: string) =>
    problems.push(`${env.namespace || '(no namespace)'}: ${field} ${JSON.stringify(value)} ${allowed}`);

  if (!isDnsLabel(env.namespace)) bad('namespace', env.namespace, 'must be a DNS label (lowercase letters, digits, "-", at most 63)');
  for (const [field, host] of [['host', env.host], ['ingress.adminHost', env.ingress.adminHost]] as const) {
    if (host !== undefined && !isHostName(host)) bad(field, host, 'must be a host name like openvault.wgbh.org (lowercase, no scheme, no port)');
  }
  if (env.ingress.adminHost === env.host) bad('ingress.adminHost', env.ingress.adminHost, 'must differ from host');
  for (const tier of ['frontend', 'backend'] as const) {
    const c = env[tier];
    const problem = tagProblem(c.tag);
    if (problem) bad(`${tier}.tag`, c.tag, problem);
    if (!Number.isInteger(c.replicas) || c.replicas < 1 || c.replicas > MAX_REPLICAS) {
      bad(`${tier}.replicas`, c.replicas, `must be a whole number from 1 to ${MAX_REPLICAS}`);
    }
    resourceProblems(`${tier}.resources`, c.resources, bad);
  }
  if (env.database.mode === 'statefulset') {
    resourceProblems('database.resources', env.database.resources, bad);
    if (!MEMORY.test(env.database.storage)) bad('database.storage', env.database.storage, 'must be a size like 10Gi');
  } else {
    const db = env.database;
    if (!isDnsLabel(db.host) && !isHostName(db.host)) bad('database.host', db.host, 'must be a Service name or host name');
    if (!Number.isInteger(db.port) || db.port < 1 || db.port > 65535) bad('database.port', db.port, 'must be a port from 1 to 65535');
    if ('cidr' in db.peer && !isCidr(db.peer.cidr)) bad('database.peer.cidr', db.peer.cidr, 'must be an IPv4 CIDR like 10.0.0.0/16');
    if ('podLabels' in db.peer && Object.keys(db.peer.podLabels).length === 0) bad('database.peer.podLabels', db.peer.podLabels, 'must name at least one label of the database pods');
    if ('namespace' in db.peer && db.peer.namespace !== undefined && !isDnsLabel(db.peer.namespace)) bad('database.peer.namespace', db.peer.namespace, 'must be a namespace name');
  }
  for (const [i, e] of env.network.egressCidrs.entries()) {
    for (const cidr of [e.cidr, ...(e.except ?? [])]) {
      if (!isCidr(cidr)) bad(`network.egressCidrs[${i}]`, cidr, 'must be an IPv4 CIDR like 0.0.0.0/0');
    }
  }
  const schedules: [string, Schedule | undefined][] = [['jobs.updateIndex', env.jobs.updateIndex], ['jobs.restartBackend', env.jobs.restartBackend]];
  for (const [field, s] of schedules) {
    if (s === undefined) continue;
    const fields = s.schedule.split(' ');
    if (fields.length !== 5 || !fields.every((f) => CRON_FIELD.test(f))) bad(`${field}.schedule`, s.schedule, 'must be a five-field cron expression like "0 8 * * *"');
    if (!/^[A-Za-z_]+(\/[A-Za-z0-9_+-]+)*$/.test(s.timeZone)) bad(`${field}.timeZone`, s.timeZone, 'must be an IANA time zone like America/New_York');
  }
  const restart = env.jobs.restartBackend;
  if (restart && !isCidr(restart.apiServer.cidr)) bad('jobs.restartBackend.apiServer.cidr', restart.apiServer.cidr, 'must be an IPv4 CIDR');
  if (!Number.isInteger(env.site.workers) || env.site.workers < 1) bad('site.workers', env.site.workers, 'must be a whole number of at least 1');
  const store = env.externalSecrets;
  if (store) {
    const names = requiredSecrets(env).map((s) => s.name);
    for (const name of names) {
      if (!store.remoteKeys[name]) problems.push(`${env.namespace}: externalSecrets.remoteKeys has no entry for Secret "${name}": it needs one for each of ${names.join(', ')}`);
    }
  }
  return problems;
}

function resourceProblems(field: string, r: Resources, bad: (field: string, value: unknown, allowed: string) => void): void {
  for (const side of ['requests', 'limits'] as const) {
    if (!CPU.test(r[side].cpu)) bad(`${field}.${side}.cpu`, r[side].cpu, 'must be a CPU quantity like 50m or 1');
    if (!MEMORY.test(r[side].memory)) bad(`${field}.${side}.memory`, r[side].memory, 'must be a memory quantity like 50Mi or 1Gi');
  }
}

/** Throws a ConfigError listing every problem of `env`. */
export function assertEnvironment(env: Environment): void {
  const problems = environmentProblems(env);
  if (problems.length > 0) throw new ConfigError(problems.join('\n'));
}

/** The hosts the site answers on: the public host, and the admin host when there is one. */
export function publicHosts(env: Environment): string[] {
  return env.ingress.adminHost ? [env.host, env.ingress.adminHost] : [env.host];
}

/** `https://host`, or `http://host` when TLS is off. */
export function siteUrl(env: Environment, host: string): string {
  return `${env.ingress.tls.mode === 'off' ? 'http' : 'https'}://${host}`;
}
