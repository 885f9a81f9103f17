/**
 * The registry of Open Vault environments: the one place to change hosts, tags, replicas and
 * resources. Only these namespaces are valid targets of a synth.
 */
import { ConfigError, Environment, Resources, WebTierConfig } from './types';

/** What the operators settled on for ov-frontend and ov-wag. */
const WEB_RESOURCES: Resources = {
  requests: { cpu: '50m', memory: '50Mi' },
  limits: { cpu: '1', memory: '1Gi' },
};

const DB_RESOURCES: Resources = {
  requests: { cpu: '100m', memory: '256Mi' },
  limits: { cpu: '1', memory: '1Gi' },
};

/** Both images are released together; `v1.1.0` is a release of each. */
const RELEASE = 'v1.1.0';

const web = (replicas: number): WebTierConfig => ({ tag: RELEASE, replicas, resources: WEB_RESOURCES });

/** The whole IPv4 internet but the private ranges, so the web tiers cannot wander inside the cluster network on 443. */
const INTERNET = [{ cidr: '0.0.0.0/0', except: ['10.0.0.0/8', '172.16.0.0/12', '192.168.0.0/16'] }];

const production: Environment = {
  namespace: 'ov',
  stage: 'production',
  host: 'openvault.wgbh.org',
  frontend: web(2),
  backend: web(2),
  database: { mode: 'statefulset', storage: '20Gi', resources: DB_RESOURCES, name: 'ov', user: 'ov' },
  ingress: { className: 'nginx', tls: { mode: 'cert-manager', clusterIssuer: 'letsencrypt-production' }, maxBodySize: '100m' },
  network: { ingressControllerNamespace: 'ingress-nginx', egressCidrs: INTERNET },
  site: {
    aapbHost: 'https://americanarchive.org',
    organUrl: 'https://organ.wgbh-mla.org',
    esUrl: 'https://elastic.wgbh-mla.org',
    esIndex: 'ov',
    gbhIndex: 'gbh',
    esUser: 'ov',
    auth0Url: 'https://wgbh-mla.us.auth0.com',
    auth0ClientId: 'open-vault',
    googleClientId: 'open-vault',
    s3Bucket: 'ov-media',
    s3Region: 'us-east-1',
    workers: 3,
  },
  jobs: {
    updateIndex: { schedule: '0 8 * * *', timeZone: 'America/New_York' },
    restartBackend: {
      schedule: '30 7 * * *',
      timeZone: 'America/New_York',
      kubectlImage: 'registry.k8s.io/kubectl:v1.31.2',
      // The API server's endpoint address as pods see it; set it to the cluster's control plane range.
      apiServer: { cidr: '10.0.0.0/8', port: 443 },
    },
  },
  externalSecrets: {
    storeKind: 'ClusterSecretStore',
    storeName: 'aws-secrets',
    refreshInterval: '1h',
    remoteKeys: { 'ov-frontend': 'openvault/ov/ov-frontend', 'ov-wag': 'openvault/ov/ov-wag', 'ov-db': 'openvault/ov/ov-db' },
  },
  gitops: { repoURL: 'https://github.com/WGBH-MLA/ov-deploy.git', targetRevision: 'main', project: 'default' },
};

/** The demo: a live backup and test bed, smaller, on its own host; Secrets are created by hand. */
const demo: Environment = {
  ...production,
  namespace: 'ov-demo',
  stage: 'demo',
  host: 'demo.openvault.wgbh.org',
  frontend: web(1),
  backend: web(1),
  database: { mode: 'statefulset', storage: '5Gi', resources: DB_RESOURCES, name: 'ov', user: 'ov' },
  site: { ...production.site, esIndex: 'ov-demo', s3Bucket: 'ov-demo-media', workers: 2 },
  jobs: { updateIndex: production.jobs.updateIndex },
  externalSecrets: undefined,
};

/** Every valid namespace, in file order. */
export const ENVIRONMENTS: readonly Environment[] = [production, demo];

export const NAMESPACES: readonly string[] = ENVIRONMENTS.map((e) => e.namespace);

/** The registered environment for `namespace`, or a ConfigError that lists the valid ones. */
export function environmentFor(namespace: string): Environment {
  const env = ENVIRONMENTS.find((e) => e.namespace === namespace);
  if (!env) {
    throw new ConfigError(`unknown namespace ${JSON.stringify(namespace)}: valid namespaces are ${NAMESPACES.join(', ')}`);
  }
  return env;
}

/**
 * A preview environment for pull request `n`, built from the demo settings (namespace `ov-pr-<n>`,
 * images `pr-<n>`). Not registered: used by tests and the benchmark.
 */
export function previewEnvironment(n: number, base: Environment = demo): Environment {
  const tag = `pr-${n}`;
  return {
    ...base,
    namespace: `ov-pr-${n}`,
    stage: 'preview',
    host: `pr-${n}.${base.host}`,
    frontend: { ...base.frontend, tag },
    backend: { ...base.backend, tag },
    site: { ...base.site, esIndex: `ov-pr-${n}` },
  };
}
