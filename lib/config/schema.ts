/**
 * The typed description of one Open Vault environment, declared once as a zod schema: the registry is
 * type-checked against its input type, and parsed with it at synth, so a value that fails one fails both.
 * Defaults are filled in by the parse; the chart reads the parsed form.
 */
import { z } from 'zod';
import { pageIndex } from './images';
import {
  bodySize, cidr, cidrStrictlyWithin, cpu, cronSchedule, dnsLabel, dnsSubdomain, ephemeralStorage, ES_INDEX_MAX_BYTES, esIndex, esIndexProblem, gitUrl,
  goDuration, hostName, httpUrl, imageTag, labelMap, memory, nonBlank, pinnedImage, port, quantityValue, s3Bucket, storage, timeZone,
} from './rules';

/** Most pods of one web tier: beyond this a typo (500 for 5) is more likely than a need. */
export const MAX_REPLICAS = 50;

/**
 * CPU, memory and node disk (Kubernetes' `ephemeral-storage`: the container's logs and its emptyDirs) for one
 * container; limits are never below requests (the API server refuses that).
 */
export const resources = z
  .object({
    requests: z.object({ cpu, memory, 'ephemeral-storage': ephemeralStorage }).strict(),
    limits: z.object({ cpu, memory, 'ephemeral-storage': ephemeralStorage }).strict(),
  })
  .strict()
  .superRefine((r, ctx) => {
    for (const kind of ['cpu', 'memory', 'ephemeral-storage'] as const) {
      const [request, limit] = [quantityValue(r.requests[kind]), quantityValue(r.limits[kind])];
      if (request !== undefined && limit !== undefined && limit < request) {
        ctx.addIssue({ code: 'custom', path: ['limits', kind], message: `must not be below the request ${r.requests[kind]}` });
      }
    }
  });

const replicaCount = z.number().int().min(1).max(MAX_REPLICAS);

/** A HorizontalPodAutoscaler on CPU utilization (the cluster runs metrics-server). */
const autoscale = z
  .object({
    min: replicaCount,
    max: replicaCount,
    /** Average CPU use, as a percentage of the request, that the autoscaler holds the pods at. */
    cpuUtilization: z.number().int().min(10).max(100).default(70),
  })
  .strict()
  .superRefine((a, ctx) => {
    if (a.min > a.max) ctx.addIssue({ code: 'custom', path: ['max'], message: `must not be below min ${a.min}` });
  });

/** One of the two web tiers (ov-frontend, ov-wag). */
const webTierFields = {
  /** Image tag, pinned: a release (`v1.2.0`), a branch build (`main`) or a preview (`pr-195`); never `latest`. */
  tag: imageTag,
  /** Pods behind the Service, when not autoscaled. More than one also gets a PodDisruptionBudget and node spreading. */
  replicas: replicaCount.optional(),
  /** Scale on CPU instead of a fixed count: the Deployment then has no `replicas`, which the autoscaler owns. @default fixed */
  autoscale: autoscale.optional(),
  resources,
};

/** Exactly one of replicas and autoscale: the two would fight over the Deployment. */
const oneScale = (t: { replicas?: number; autoscale?: unknown }, ctx: z.RefinementCtx) => {
  if ((t.replicas === undefined) === (t.autoscale === undefined)) {
    ctx.addIssue({ code: 'custom', path: ['replicas'], message: 'set either replicas or autoscale, not both and not neither' });
  }
};

const webTier = z.object(webTierFields).strict().superRefine(oneScale);

const backendTier = z
  .object({
    ...webTierFields,
    /** gunicorn worker processes per pod, passed on its command line. @default the image's own (4) */
    workers: z.number().int().min(1).max(32).optional(),
    /**
     * Upload the image's static files to the bucket at each start (deploy.sh's `collectstatic`). An environment
     * that shares the bucket of another sets false: it serves that one's static files and never overwrites them.
     * @default true
     */
    collectStatic: z.boolean().default(true),
  })
  .strict()
  .superRefine(oneScale);

/** A key of a Secret's data (the API server's IsConfigMapKey): letters, digits, "-", "_" and ".", at most 253. */
const secretKeyName = z.string().regex(/^[-._a-zA-Z0-9]{1,253}$/, { message: 'must be a Secret key: letters, digits, "-", "_" or ".", at most 253' })
  .refine((k) => k !== '.' && k !== '..' && !k.startsWith('..'), { message: 'must be a Secret key: not ".", ".." or starting with ".."' });

/** A key of a Secret in the namespace. */
export const secretKeyRef = z.object({ name: dnsSubdomain, key: secretKeyName }).strict();

/** A PostgreSQL identifier the images pass unquoted. */
const pgName = z.string().regex(/^[a-z_][a-z0-9_]{0,62}$/, { message: 'must be a lowercase PostgreSQL name: letters, digits and "_", at most 63' });

const schedule = z.object({ schedule: cronSchedule, timeZone }).strict();

/** PostgreSQL run by this chart as a StatefulSet with its own volume. */
const inClusterDatabase = z
  .object({
    mode: z.literal('statefulset'),
    /** Size of the data volume claim. */
    storage,
    /** Storage class of the data volume claim. @default the cluster's default class */
    storageClassName: dnsSubdomain.optional(),
    resources,
    /** Database and role names; the password is in the `ov-db` Secret. */
    name: pgName,
    user: pgName,
    /** Keep the data claim when the StatefulSet is deleted; a preview's throwaway copy does not. */
    keepVolume: z.boolean().default(true),
    /**
     * Fill the empty database on its first sync with a copy of the database of this instance in the same
     * namespace (a preview, from the demo's), with the same name, role and password. @default empty
     */
    seedFrom: z.object({ instance: dnsLabel }).strict().optional(),
    /** Daily dumps to a volume of their own. @default none */
    backup: schedule
      .extend({ keepDays: z.number().int().min(1).max(366), storage, storageClassName: dnsSubdomain.optional() })
      .strict()
      .optional(),
  })
  .strict();

/** An existing PostgreSQL (an operator-managed cluster, RDS): no StatefulSet and no backup job are emitted. */
const externalDatabase = z
  .object({
    mode: z.literal('external'),
    host: z.union([dnsLabel, hostName], { error: 'must be a Service name or a host name' }),
    port,
    name: pgName,
    user: pgName,
    /** Where the password is. @default { name: 'ov-db', key: 'password' } */
    password: secretKeyRef.optional(),
    /** Who the NetworkPolicies let the backend and its jobs reach: its pods (namespace defaults to this one), or a CIDR. */
    peer: z.union(
      [
        z.object({ podLabels: labelMap, namespace: dnsLabel.optional() }).strict(),
        z.object({ cidr }).strict(),
      ],
      { error: 'must be { podLabels, namespace? } (pods in the cluster) or { cidr } (addresses outside it)' },
    ),
  })
  .strict();

const tls = z.discriminatedUnion('mode', [
  /** cert-manager issues `<host>-tls` through the named ClusterIssuer (ingress-shim annotation). */
  z.object({ mode: z.literal('cert-manager'), clusterIssuer: dnsSubdomain }).strict(),
  /** An existing TLS Secret, created by the operator. */
  z.object({ mode: z.literal('secret'), secretName: dnsSubdomain }).strict(),
  /** Plain HTTP, for a cluster that terminates TLS in front of the ingress controller. */
  z.object({ mode: z.literal('off') }).strict(),
]);

const labels = labelMap;

/** The ingress controller that serves the Ingress: its class, and where its pods run (for the NetworkPolicies). */
const controller = z.discriminatedUnion('kind', [
  /** ingress-nginx, the seed's proxy; the defaults are those of its Helm chart. */
  z.object({
    kind: z.literal('nginx'),
    className: dnsSubdomain.default('nginx'),
    namespace: dnsLabel.default('ingress-nginx'),
    podLabels: labels.default({ 'app.kubernetes.io/name': 'ingress-nginx', 'app.kubernetes.io/component': 'controller' }),
  }).strict(),
  /** Traefik, which the cluster runs; the defaults are those of its Helm chart. */
  z.object({
    kind: z.literal('traefik'),
    className: dnsSubdomain.default('traefik'),
    namespace: dnsLabel.default('traefik'),
    podLabels: labels.default({ 'app.kubernetes.io/name': 'traefik' }),
  }).strict(),
]);

const ingress = z
  .object({
    controller,
    tls,
    /** Largest request body the proxy accepts (media uploads in the CMS). */
    maxBodySize: bodySize.default('100m'),
    /** A second host that serves only the backend's paths (the CMS). @default none */
    adminHost: hostName.optional(),
    /** Requests per second from one client to the public host, with a burst. @default no limit */
    rateLimit: z.object({ average: z.number().int().min(1).max(10_000), burst: z.number().int().min(1).max(100_000) }).strict().optional(),
  })
  .strict();

/** A CIDR the web tiers may reach on 443 (Elasticsearch, S3, Auth0), with holes strictly inside it. */
const egressCidr = z
  .object({ cidr, except: z.array(cidr).optional() })
  .strict()
  .superRefine((e, ctx) => {
    (e.except ?? []).forEach((inner, i) => {
      if (!cidrStrictlyWithin(inner, e.cidr)) ctx.addIssue({ code: 'custom', path: ['except', i], message: `must lie strictly inside ${e.cidr}` });
    });
  });

/**
 * The backend's own index: an index name whose page index (`<index>__wagtailcore_page`, which the frontend
 * searches) is one too.
 */
const ownIndex = z.string().superRefine((v, ctx) => {
  const problem = esIndexProblem(v, ES_INDEX_MAX_BYTES - Buffer.byteLength(pageIndex(''), 'utf8'));
  if (problem) ctx.addIssue({ code: 'custom', message: `must be an Elasticsearch index name whose page index ${pageIndex('<index>')} is one too: ${problem}` });
});

/** Settings of the site that the images read from their environment. */
const site = z
  .object({
    /** American Archive site the frontend links to. */
    aapbHost: httpUrl,
    organUrl: httpUrl,
    /** Elasticsearch: one endpoint, this environment's own index on it. */
    esUrl: httpUrl,
    esIndex: ownIndex,
    /** The GBH series index the frontend searches. */
    gbhIndex: esIndex,
    esUser: nonBlank,
    /**
     * Show the cookie-consent banner: the frontend then reads COOKIE_CONSENT_ID from its Secret (`ov-frontend`),
     * which the operators or the store provide. @default false
     */
    cookieConsent: z.boolean().default(false),
    auth0Url: httpUrl,
    /** Media and static files bucket. */
    s3Bucket,
    s3Region: z.string().regex(/^[a-z]{2}(-gov)?-[a-z]+-\d$/, { message: 'must be an AWS region like us-east-1' }),
  })
  .strict();

const jobs = z
  .object({
    /** `manage.py update_index`, which rebuilds the search index. */
    updateIndex: schedule,
    /** A scheduled `kubectl rollout restart` of ov-wag, with its image and the API server its policy allows. @default off */
    restartBackend: schedule
      .extend({ kubectlImage: pinnedImage, apiServer: z.object({ cidr, port }).strict() })
      .strict()
      .optional(),
  })
  .strict();

/** One Secret filled from the store: the store's secret that holds it, and which property holds each key. */
const storeSecret = z
  .object({
    /** The secret in the store (a JSON secret in AWS Secrets Manager), e.g. `prod/ov/backend`. */
    remoteKey: nonBlank,
    /** Per key of the Kubernetes Secret, the property of the store's secret that holds its value. */
    properties: z.record(secretKeyName, nonBlank),
  })
  .strict();

/** Fill the workloads' Secrets from a secret store through the External Secrets Operator. */
const externalSecrets = z
  .object({
    storeKind: z.enum(['ClusterSecretStore', 'SecretStore']).default('ClusterSecretStore'),
    storeName: dnsSubdomain,
    /** How often the operator re-reads the store. */
    refreshInterval: goDuration.default('1h'),
    /** Per Secret the workloads read (by name), where its keys are in the store: every key explicit. */
    secrets: z.record(z.string(), storeSecret),
  })
  .strict();

/** Where Argo CD reads this repository, and where its Application lives. */
const gitops = z
  .object({
    /** The repository that holds this dist/, set by the operators who adopt it. @default unset: no Argo CD objects are rendered */
    repoURL: gitUrl.optional(),
    targetRevision: nonBlank,
    project: dnsSubdomain.default('default'),
    /** Argo CD's own namespace, where Applications live. */
    namespace: dnsLabel.default('argocd'),
  })
  .strict();

export const STAGES = ['production', 'demo', 'preview'] as const;

export const environmentSchema = z
  .object({
    /** Kubernetes namespace. */
    namespace: dnsLabel,
    /**
     * The `app.kubernetes.io/instance` of every object, and the suffix of its name, for an environment that
     * shares its namespace with another (a preview in the demo's). @default the namespace, no suffix
     */
    instance: dnsLabel.optional(),
    stage: z.enum(STAGES),
    /** Public host name of the site. */
    host: hostName,
    frontend: webTier,
    backend: backendTier,
    database: z.discriminatedUnion('mode', [inClusterDatabase, externalDatabase]),
    ingress,
    network: z.object({ egressCidrs: z.array(egressCidr).min(1) }).strict(),
    site,
    jobs,
    /** @default off: the operator creates the Secrets by hand */
    externalSecrets: externalSecrets.optional(),
    gitops,
  })
  .strict();

/** An environment as the registry writes it (defaults may be left out). */
export type EnvironmentInput = z.input<typeof environmentSchema>;
/** An environment as the chart reads it: checked, defaults filled in. */
export type Environment = z.output<typeof environmentSchema>;
export type Resources = Environment['frontend']['resources'];
export type WebTierConfig = Environment['frontend'];
export type BackendConfig = Environment['backend'];
export type DatabaseConfig = Environment['database'];
export type InClusterDatabase = Extract<DatabaseConfig, { mode: 'statefulset' }>;
export type ExternalDatabase = Extract<DatabaseConfig, { mode: 'external' }>;
export type IngressConfig = Environment['ingress'];
export type TlsConfig = IngressConfig['tls'];
export type ControllerConfig = IngressConfig['controller'];
export type Schedule = Environment['jobs']['updateIndex'];
export type RestartConfig = NonNullable<Environment['jobs']['restartBackend']>;
export type BackupConfig = NonNullable<InClusterDatabase['backup']>;
export type ExternalSecretsConfig = NonNullable<Environment['externalSecrets']>;
export type GitOpsConfig = Environment['gitops'];
export type SecretKeyRef = z.output<typeof secretKeyRef>;
export type EgressCidr = Environment['network']['egressCidrs'][number];
export type Stage = Environment['stage'];
