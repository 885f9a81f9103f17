/**
 * Facts about the stack's images that every construct must agree on: names, ports, health paths, the
 * users they run as, and per release what each reads and how it starts. Each fact names the upstream file
 * it was read from, at the tag (WGBH-MLA/ov-frontend, WGBH-MLA/ov-wag).
 */

/** The user and group a pod runs as; they must be able to run the image (see README, Security). */
export interface RunAs {
  readonly user: number;
  readonly group: number;
}

/** One probe's budget: a check every `periodSeconds`, each given `timeoutSeconds`, acted on after `failureThreshold` failures in a row. */
export interface ProbeBudget {
  readonly periodSeconds: number;
  readonly timeoutSeconds: number;
  readonly failureThreshold: number;
  /** Why this budget: kept beside the numbers so nobody trims them by accident. */
  readonly reason: string;
}

/** How long a server may take to start, to stop answering before it leaves its Service, and before it is restarted. */
export interface ProbeBudgets {
  readonly startup: ProbeBudget;
  readonly readiness: ProbeBudget;
  readonly liveness: ProbeBudget;
}

export interface ImageFacts {
  /** Name of its Deployment/StatefulSet, Service, ConfigMap and ServiceAccount. */
  readonly name: string;
  readonly repository: string;
  /** Port the process listens on. */
  readonly port: number;
  readonly runAs: RunAs;
  /** The budgets of its server's probes. */
  readonly probes: ProbeBudgets;
}

/** What both web servers are allowed once started: out of the Service after 30 s of failed checks, restarted after a minute. */
const WEB_RUNNING = {
  readiness: { periodSeconds: 10, timeoutSeconds: 3, failureThreshold: 3, reason: 'one slow answer (a busy worker, a pause) keeps the pod in its Service; three in a row take it out' },
  liveness: { periodSeconds: 20, timeoutSeconds: 5, failureThreshold: 3, reason: 'restarted only after a minute of refusing connections on its port, well after it left its Service' },
} as const;

export const FRONTEND = {
  name: 'ov-frontend',
  repository: 'ghcr.io/wgbh-mla/ov-frontend',
  // The server's default port (Dockerfile; react-router-serve and remix-serve read PORT).
  port: 3000,
  // app/routes/health.tsx
  healthPath: '/health',
  // The image's own user `remix` (Dockerfile: adduser --system --uid 1001 remix), with group `remix` (1001), which owns /app.
  runAs: { user: 1001, group: 1001 },
  home: '/home/remix',
  probes: {
    startup: { periodSeconds: 5, timeoutSeconds: 3, failureThreshold: 30, reason: 'up to 2.5 minutes: the Node server loads its build on 50m of CPU request, slow on a busy node' },
    ...WEB_RUNNING,
  },
} as const satisfies ImageFacts & { healthPath: string; home: string };

export const BACKEND = {
  name: 'ov-wag',
  repository: 'ghcr.io/wgbh-mla/ov-wag',
  // docker_entrypoints/deploy.sh: gunicorn -b 0.0.0.0:8000
  port: 8000,
  // ov_wag/api.py
  healthPath: '/api/v2/health/',
  // Dockerfile sets no USER; its files are world-readable, so any non-root uid runs it: one above 10000, clear
  // of the range a node's own accounts are given (kube-score's container-security-context-user-group-id).
  runAs: { user: 10001, group: 10001 },
  probes: {
    startup: { periodSeconds: 5, timeoutSeconds: 3, failureThreshold: 30, reason: 'up to 2.5 minutes: deploy.sh runs collectstatic against S3 before gunicorn listens' },
    ...WEB_RUNNING,
  },
} as const satisfies ImageFacts & { healthPath: string };

/** What one release of ov-frontend reads and how it starts. */
export interface FrontendRelease {
  /** Environment variables its code reads (`process.env` under app/), besides the Secret's ES_API_KEY. */
  readonly reads: readonly string[];
  /** Values it has built in where it reads no variable: an environment must want exactly these. */
  readonly fixed?: Readonly<Record<string, string>>;
  /** Its start command goes through npm, which writes under $HOME/.npm. */
  readonly startsWithNpm: boolean;
}

// Read by the server itself (PORT) and by npm (its update check), whatever the release.
const FRONTEND_RUNTIME = ['PORT', 'NPM_CONFIG_UPDATE_NOTIFIER'];
export const FRONTEND_RELEASES: Readonly<Record<string, FrontendRelease>> = {
  // Dockerfile CMD remix-serve build/server/index.js; app/ reads five variables, the index names are fixed.
  // app/classes/search-ui.tsx and app/components/OVResults.tsx name the indexes.
  'v1.1.0': {
    reads: ['AAPB_HOST', 'ORGAN_URL', 'OV_API_URL', 'ES_URL', ...FRONTEND_RUNTIME],
    fixed: { ES_OV_INDEX: 'wagtail__wagtailcore_page', GBH_INDEX: 'gbh-series' },
    startsWithNpm: false,
  },
  // Dockerfile CMD npm run start; app/root.tsx passes ES_OV_INDEX, GBH_INDEX and COOKIE_CONSENT_ID to the pages.
  'v1.2.0': {
    reads: ['AAPB_HOST', 'ORGAN_URL', 'OV_API_URL', 'ES_URL', 'ES_OV_INDEX', 'GBH_INDEX', 'COOKIE_CONSENT_ID', ...FRONTEND_RUNTIME],
    startsWithNpm: true,
  },
};

/** What one release of ov-wag reads. */
export interface BackendRelease {
  /** Variables its settings read (ov_wag/settings/base.py, production.py), besides its Secrets. */
  readonly reads: readonly string[];
  /** Values it has built in where it reads no variable: an environment must want exactly these. */
  readonly fixed?: Readonly<Record<string, string>>;
}

// Read by Django and Python themselves rather than by the settings.
const BACKEND_RUNTIME = ['DJANGO_SETTINGS_MODULE', 'PYTHONDONTWRITEBYTECODE', 'HOME'];
const BACKEND_SETTINGS = [
  'OV_DB_ENGINE', 'OV_DB_HOST', 'OV_DB_PORT', 'OV_DB_NAME', 'OV_DB_USER', 'OV_DEBUG', 'OV_ALLOWED_HOSTS', 'OV_TRUSTED_ORIGINS',
  'OV_CSRF_COOKIE_SECURE', 'OV_SESSION_COOKIE_SECURE', 'OV_BASE_URL', 'OV_ADMIN_BASE_URL', 'OV_API_URL', 'OV_PREVIEW_URL',
  'ES_URL', 'ES_USER', 'ES_VERIFY_CERTS', 'AUTH0_URL', 'AUTH0_CLIENT_ID', 'GOOGLE_CLIENT_ID', 'AWS_STORAGE_BUCKET_NAME', 'AWS_S3_REGION_NAME',
  ...BACKEND_RUNTIME,
];
const WITH_ES_INDEX: BackendRelease = { reads: [...BACKEND_SETTINGS, 'ES_INDEX'] };
export const BACKEND_RELEASES: Readonly<Record<string, BackendRelease>> = {
  // ov_wag/settings/base.py: WAGTAILSEARCH_BACKENDS 'INDEX': 'wagtail'
  'v1.1.0': { reads: BACKEND_SETTINGS, fixed: { ES_INDEX: 'wagtail' } },
  // ov_wag/settings/base.py: 'INDEX': os.environ.get('ES_INDEX', 'wagtail'); the settings are the same to v1.1.3.
  'v1.1.1': WITH_ES_INDEX,
  'v1.1.2': WITH_ES_INDEX,
  'v1.1.3': WITH_ES_INDEX,
};

/** The declared releases of each train, oldest first as their facts are listed: what `npm run release` may pin besides builds. */
export const DECLARED_RELEASES = { frontend: Object.keys(FRONTEND_RELEASES), backend: Object.keys(BACKEND_RELEASES) } as const;

/**
 * Tags that move: WGBH-MLA/.github .github/workflows/build.yml pushes the branch (`main`) and `pr-<n>` at every
 * commit. Each is declared here as following a named release, whose facts it is taken to have; any other tag
 * must be a release declared above. `pr-<n>` stands for every pull request number.
 */
export const MOVING_TAGS = {
  frontend: { main: 'v1.2.0', 'pr-<n>': 'v1.2.0' },
  backend: { main: 'v1.1.3', 'pr-<n>': 'v1.1.3' },
} as const satisfies Record<'frontend' | 'backend', Readonly<Record<string, string>>>;

export type Tier = keyof typeof MOVING_TAGS;

const RELEASES_OF = { frontend: FRONTEND_RELEASES, backend: BACKEND_RELEASES } as const;

/** The declared name a tag matches: itself, or `pr-<n>` for a pull request's build. */
const movingName = (tag: string) => (/^pr-[1-9]\d*$/.test(tag) ? 'pr-<n>' : tag);

/** What a tag is: a declared release, or a moving tag and the release it follows; undefined when undeclared. */
export function tagFacts(tier: Tier, tag: string): { readonly release: string; readonly moving: boolean } | undefined {
  if (Object.hasOwn(RELEASES_OF[tier], tag)) return { release: tag, moving: false };
  const follows = (MOVING_TAGS[tier] as Readonly<Record<string, string>>)[movingName(tag)];
  return follows === undefined ? undefined : { release: follows, moving: true };
}

/** Why a tag cannot be deployed (its facts are not declared), in one line; undefined when it can. */
export function undeclaredTag(tier: Tier, tag: string): string | undefined {
  if (tagFacts(tier, tag)) return undefined;
  const image = tier === 'frontend' ? FRONTEND.name : BACKEND.name;
  const known = [...Object.keys(RELEASES_OF[tier]), ...Object.keys(MOVING_TAGS[tier])].join(', ');
  return `is not a tag of ${image} that lib/config/images.ts declares (${known}): add its facts to ${tier.toUpperCase()}_RELEASES there, or declare it in MOVING_TAGS.${tier} with the release it follows`;
}

function declared<T>(tier: Tier, tag: string): T {
  const facts = tagFacts(tier, tag);
  if (!facts) throw new Error(`${tier} tag ${tag} ${undeclaredTag(tier, tag)}`);
  return RELEASES_OF[tier][facts.release] as T;
}

/** The facts of a declared frontend tag (a release, or the release a moving tag follows). */
export const frontendRelease = (tag: string): FrontendRelease => declared('frontend', tag);

/** The facts of a declared backend tag (a release, or the release a moving tag follows). */
export const backendRelease = (tag: string): BackendRelease => declared('backend', tag);

/**
 * The backend's start, as docker_entrypoints/deploy.sh runs it (the same at v1.1.0 to v1.1.3): `collectstatic`,
 * then gunicorn whether or not it succeeded (the script has no `set -e` and no `&&`, so a bucket that is missing
 * or unreachable does not keep the server down), with the worker count an environment chooses in place of its
 * fixed `--workers 4`, and `exec` so that SIGTERM reaches gunicorn rather than the shell. An environment that
 * shares another's bucket skips `collectstatic`, so that it never overwrites the other's static files.
 */
export const BACKEND_DEFAULT_WORKERS = 4;
export function backendStart(workers: number, collectStatic = true): string[] {
  return [
    'sh', '-c',
    `cd /app; ${collectStatic ? 'python3 manage.py collectstatic --noinput; ' : ''}exec gunicorn ov_wag.wsgi:application -b 0.0.0.0:${BACKEND.port} --workers ${workers} --forwarded-allow-ips '*' --access-logfile - --error-logfile -`,
  ];
}

export const DATABASE = {
  name: 'db',
  repository: 'postgres',
  tag: '16-alpine',
  port: 5432,
  // `postgres` in the alpine image.
  runAs: { user: 70, group: 70 },
  probes: {
    startup: { periodSeconds: 10, timeoutSeconds: 5, failureThreshold: 60, reason: 'up to 10 minutes: crash recovery after an unclean stop replays the WAL before pg_isready answers' },
    readiness: { periodSeconds: 10, timeoutSeconds: 5, failureThreshold: 3, reason: 'pg_isready failing three times in a row takes the database out of its Service' },
    liveness: { periodSeconds: 20, timeoutSeconds: 5, failureThreshold: 6, reason: 'restarted only after two minutes of a closed port, never on a slow query' },
  },
} as const satisfies ImageFacts & { tag: string };

/** The name of the container port every HTTP tier serves on, which Services target. */
export const HTTP_PORT_NAME = 'http';
/** The port the web Services expose in the cluster. */
export const SERVICE_PORT = 80;

/** In-cluster URL of a web tier's Service. */
export const serviceUrl = (name: string) => `http://${name}`;

/**
 * Paths the public proxy sends to the backend rather than the frontend (ov_wag/urls.py at v1.1.3): the CMS,
 * the Django admin, the login pages of allauth, Wagtail's document downloads and the editors' footnote
 * chooser. Not `api/v2/` (the frontend calls it in the cluster) nor `search/` (the frontend serves /search).
 */
export const BACKEND_PATHS = ['/admin', '/django-admin', '/accounts', '/documents', '/footnotes'] as const;

/** Wagtail names a model's index `<index>__<app>_<model>`; the frontend searches the pages. */
export const pageIndex = (index: string) => `${index}__wagtailcore_page`;

/** The backend's jobs: `app.kubernetes.io/name` of their pods (the migration Job's own name adds the tag). */
export const JOBS = {
  migrate: 'ov-wag-migrate',
  updateIndex: 'ov-wag-update-index',
  restart: 'ov-wag-restart',
} as const;
