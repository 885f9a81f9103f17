/**
 * The registry of Open Vault environments: the one place to change hosts, tags, replicas and resources.
 * Only these namespaces are valid targets of a synth (the seed allows `ov` and `ov-demo`). Values taken
 * from the deployers' own setup name the upstream file; the rest are this project's choices.
 */
import { z } from 'zod';
import { Preview, previewEnvironment, previewName, previewsFileSchema } from './preview';
import { imageTag } from './rules';
import { EnvironmentInput } from './schema';
import { committedState } from './state';
import { ConfigError, Environment, parseEnvironment, registryProblems, sharesNamespace } from './types';

/**
 * Node disk (`ephemeral-storage`) of a long-running container: its emptyDirs (each capped, 256Mi by default:
 * `/tmp`, and the frontend's npm logs) and the log files the kubelet keeps (5 of 10Mi by default). The
 * request is what it uses when nothing goes wrong; the limit covers every cap at once, so that the pod is
 * evicted for a runaway directory only when that directory's own cap is reached.
 */
const SERVER_DISK = { request: '128Mi', limit: '1Gi' } as const;

/** CPU and memory as the operators settled on for ov-frontend and ov-wag (ov-deploy charts/openvault/values.yaml). */
const WEB_RESOURCES = {
  requests: { cpu: '50m', memory: '50Mi', 'ephemeral-storage': SERVER_DISK.request },
  limits: { cpu: '1', memory: '1Gi', 'ephemeral-storage': SERVER_DISK.limit },
};

/** PostgreSQL: its data is on its claim; on node disk only `/tmp`, its socket folder and its logs. */
const DB_RESOURCES = {
  requests: { cpu: '100m', memory: '256Mi', 'ephemeral-storage': SERVER_DISK.request },
  limits: { cpu: '1', memory: '1Gi', 'ephemeral-storage': SERVER_DISK.limit },
};

/**
 * The image tags each namespace runs, one per tier (two release trains, tagged independently): committed
 * state in `releases.json`, which `npm run release` writes, so that any CI can edit it too.
 */
export const releasesSchema = z.record(z.string(), z.object({ frontend: imageTag, backend: imageTag }).strict());
export type Releases = z.output<typeof releasesSchema>;

const RELEASES = committedState('releases.json', releasesSchema);

/** The tags of a namespace from the releases file. */
function tagsOf(namespace: string, releases: Releases): { frontend: string; backend: string } {
  const tags = releases[namespace];
  if (!tags) throw new ConfigError(`lib/config/releases.json: no tags for namespace "${namespace}": every namespace of the registry needs an entry`);
  return tags;
}

/** The whole IPv4 internet but the private ranges, so the web tiers cannot wander inside the cluster network on 443. */
const INTERNET = [{ cidr: '0.0.0.0/0', except: ['10.0.0.0/8', '172.16.0.0/12', '192.168.0.0/16'] }];

/**
 * Facts of the one cluster every environment runs on, declared once. Its ingress controller is Traefik, and no
 * other runs there (cluster-deploy charts/groot/templates/traefik.yaml, charts/traefik/; ov-deploy
 * docs/docs/ref/index.md); nginx remains a choice of the schema for clusters that run ingress-nginx.
 */
export const CLUSTER = {
  ingressController: { kind: 'traefik' },
  /**
   * The site origins each Elasticsearch answers browsers from today (its `http.cors.allow-origin`, besides
   * localhost): the search page queries it from the browser, so a site whose origin is missing has no search.
   * elastic.wgbh-mla.org: cluster-deploy elasticsearch/elastic.yml.
   */
  elasticsearchCors: {
    'https://elastic.wgbh-mla.org': ['https://openvault.wgbh.org', 'https://admin.ov.wgbh-mla.org', 'https://elastic.wgbh-mla.org'],
  },
} as const satisfies { ingressController: EnvironmentInput['ingress']['controller']; elasticsearchCors: Readonly<Record<string, readonly string[]>> };

/**
 * The git repository that holds this dist/, which Argo CD syncs: the operators set it when they adopt the
 * project (WGBH-MLA/ov-deploy, which the deployers' Applications sync, has no dist/). Until it is set, synth
 * renders no Argo CD objects and says so.
 */
export const REPO_URL: string | undefined = undefined;

/** Argo CD of the cluster (cluster-deploy charts/groot/templates/*.yaml: namespace argo-cd; ov-deploy dev/*.yaml: project ov). */
const GITOPS = { repoURL: REPO_URL, targetRevision: 'main', project: 'ov', namespace: 'argo-cd' };

/** Site values shared by every environment (ov-deploy charts/openvault/values.yaml, dev/ov-dev.yaml). */
const SITE = {
  organUrl: 'https://organ.wgbh-mla.org',
  gbhIndex: 'gbh-series',
  esUser: 'wagtail',
  auth0Url: 'https://wgbh-mla.us.auth0.com',
  s3Region: 'us-east-1',
};

const production = {
  namespace: 'ov',
  stage: 'production',
  host: 'openvault.wgbh.org',
  // The cluster runs metrics-server (cluster-deploy): production's web tiers scale on CPU.
  frontend: { tag: tagsOf('ov', RELEASES).frontend, autoscale: { min: 2, max: 6 }, resources: WEB_RESOURCES },
  backend: { tag: tagsOf('ov', RELEASES).backend, autoscale: { min: 2, max: 4 }, resources: WEB_RESOURCES, workers: 3 },
  database: {
    mode: 'statefulset', storage: '20Gi', resources: DB_RESOURCES, name: 'ov', user: 'ov',
    backup: { schedule: '0 6 * * *', timeZone: 'America/New_York', keepDays: 14, storage: '40Gi' },
  },
  ingress: {
    controller: CLUSTER.ingressController,
    tls: { mode: 'cert-manager', clusterIssuer: 'letsencrypt-production' },
    maxBodySize: '100m',
    rateLimit: { average: 20, burst: 100 },
  },
  network: { egressCidrs: INTERNET },
  site: {
    ...SITE,
    aapbHost: 'https://americanarchive.org',
    esUrl: 'https://elastic.wgbh-mla.org',
    esIndex: 'ov',
    s3Bucket: 'media.openvault.wgbh.org',
    // Production shows the cookie-consent banner; its id is in the store (prod/ov/frontend).
    cookieConsent: true,
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
  // One JSON secret per Secret in AWS Secrets Manager, the deployers' layout (ov-deploy charts/openvault/values.yaml:
  // dev/ov/backend, dev/ov/frontend). The names under prod/ and the properties are this project's: the operators
  // create them so (the page dist/ov.md lists them).
  externalSecrets: {
    storeKind: 'ClusterSecretStore',
    storeName: 'aws-secrets',
    refreshInterval: '1h',
    secrets: {
      'ov-frontend': { remoteKey: 'prod/ov/frontend', properties: { ES_API_KEY: 'ES_API_KEY', COOKIE_CONSENT_ID: 'COOKIE_CONSENT_ID' } },
      'ov-wag': {
        remoteKey: 'prod/ov/backend',
        properties: {
          ES_PASSWORD: 'ES_PASSWORD', AUTH0_CLIENT_ID: 'AUTH0_CLIENT_ID', AUTH0_CLIENT_SECRET: 'AUTH0_CLIENT_SECRET', GOOGLE_CLIENT_ID: 'GOOGLE_CLIENT_ID',
          AWS_ACCESS_KEY_ID: 'AWS_ACCESS_KEY_ID', AWS_SECRET_ACCESS_KEY: 'AWS_SECRET_ACCESS_KEY',
        },
      },
      'ov-db': { remoteKey: 'prod/ov/db', properties: { password: 'password' } },
    },
  },
  gitops: GITOPS,
} satisfies EnvironmentInput;

/** The demo: a live backup and test bed, smaller, on its own host, index and bucket; Secrets are created by hand. */
const demo = {
  ...production,
  namespace: 'ov-demo',
  stage: 'demo',
  host: 'demo.openvault.wgbh.org',
  // Two pods per tier, like production's least: a node drain or a rollout never leaves the site without one.
  frontend: { tag: tagsOf('ov-demo', RELEASES).frontend, replicas: 2, resources: WEB_RESOURCES },
  backend: { tag: tagsOf('ov-demo', RELEASES).backend, replicas: 2, resources: WEB_RESOURCES, workers: 2 },
  database: {
    mode: 'statefulset', storage: '5Gi', resources: DB_RESOURCES, name: 'ov', user: 'ov',
    backup: { ...production.database.backup, keepDays: 7, storage: '10Gi' },
  },
  site: {
    ...production.site,
    aapbHost: 'https://demo.aapb.wgbh-mla.org',
    esIndex: 'ov-demo',
    s3Bucket: 'dev.media.openvault.wgbh.org',
    cookieConsent: false,
  },
  jobs: { updateIndex: production.jobs.updateIndex },
  externalSecrets: undefined,
} satisfies EnvironmentInput;

/** The registry as written, in file order. */
export const REGISTRY: readonly EnvironmentInput[] = [production, demo];

/** The registry with the tags of a releases file (what `npm run release` checks before it writes one). */
export function registryWith(releases: Releases): EnvironmentInput[] {
  const known = new Set(REGISTRY.map((e) => e.namespace));
  const unknown = Object.keys(releases).filter((ns) => !known.has(ns));
  if (unknown.length > 0) throw new ConfigError(`lib/config/releases.json: unknown namespace ${unknown.map((u) => JSON.stringify(u)).join(', ')}: valid namespaces are ${[...known].join(', ')}`);
  return REGISTRY.map((e) => {
    const tags = tagsOf(e.namespace, releases);
    return { ...e, frontend: { ...e.frontend, tag: tags.frontend }, backend: { ...e.backend, tag: tags.backend } };
  });
}

/** The committed state: the releases and the previews. */
export const STATE = {
  releases: RELEASES,
  previews: committedState('previews.json', previewsFileSchema).previews,
} as const;

/** The namespace that holds the previews. */
export const PREVIEW_HOME = demo.namespace;

/**
 * Each environment checked, then the registry as a whole, previews included (no shared host, index or
 * bucket); a ConfigError lists every problem of every entry.
 */
export function loadRegistry(entries: readonly EnvironmentInput[], previews: readonly Preview[] = []): { readonly environments: Environment[]; readonly previews: Environment[] } {
  const problems: string[] = [];
  const parse = (entry: EnvironmentInput): Environment[] => {
    try {
      return [parseEnvironment(entry)];
    } catch (error) {
      if (!(error instanceof ConfigError)) throw error;
      problems.push(error.message);
      return [];
    }
  };
  const environments = entries.flatMap(parse);
  const home = environments.find((e) => e.namespace === PREVIEW_HOME && !sharesNamespace(e));
  const seen = new Set<string>();
  const built = previews.flatMap((p) => {
    const name = previewName(p);
    if (seen.has(name)) problems.push(`lib/config/previews.json: preview ${name} is listed twice`);
    seen.add(name);
    return home ? parse(previewEnvironment(home, p)) : [];
  });
  if (problems.length === 0) problems.push(...registryProblems([...environments, ...built]));
  if (problems.length > 0) throw new ConfigError(problems.join('\n'));
  return { environments, previews: built };
}

const LOADED = loadRegistry(registryWith(STATE.releases), STATE.previews);

/** Every valid namespace's environment, in file order. */
export const ENVIRONMENTS: readonly Environment[] = LOADED.environments;

/** The committed previews, in the demo's namespace. */
export const PREVIEWS: readonly Environment[] = LOADED.previews;

export const NAMESPACES: readonly string[] = ENVIRONMENTS.map((e) => e.namespace);

/** The registered environment for `namespace`, or a ConfigError that lists the valid ones. */
export function environmentFor(namespace: string): Environment {
  const env = ENVIRONMENTS.find((e) => e.namespace === namespace);
  if (!env) {
    throw new ConfigError(`unknown namespace ${JSON.stringify(namespace)}: valid namespaces are ${NAMESPACES.join(', ')}`);
  }
  return env;
}

/** The preview environment of a pull request, built from the committed demo (tests, the benchmark). */
export function previewFor(preview: Preview): Environment {
  const home = environmentFor(PREVIEW_HOME);
  return parseEnvironment(previewEnvironment(home, preview));
}
