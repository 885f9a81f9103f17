/**
 * Facts about the stack's images that every construct must agree on: names, ports, health
 * paths and the users they run as (see README, Security, for why each user fits its image).
 */

/** The user and group a pod runs as; they must be able to run the image (see README, Security). */
export interface RunAs {
  readonly user: number;
  readonly group: number;
}

export interface ImageFacts {
  /** Name of its Deployment/StatefulSet, Service, ConfigMap and ServiceAccount. */
  readonly name: string;
  readonly repository: string;
  /** Port the process listens on. */
  readonly port: number;
  readonly runAs: RunAs;
}

export const FRONTEND = {
  name: 'ov-frontend',
  repository: 'ghcr.io/wgbh-mla/ov-frontend',
  port: 3000,
  healthPath: '/health',
  // The image's own user, `remix`.
  runAs: { user: 1001, group: 1001 },
} as const satisfies ImageFacts & { healthPath: string };

export const BACKEND = {
  name: 'ov-wag',
  repository: 'ghcr.io/wgbh-mla/ov-wag',
  port: 8000,
  healthPath: '/api/v2/health/',
  // The image sets no user; its files are world-readable, so a fixed non-root uid runs it.
  runAs: { user: 1000, group: 1000 },
} as const satisfies ImageFacts & { healthPath: string };

export const DATABASE = {
  name: 'db',
  repository: 'postgres',
  tag: '16-alpine',
  port: 5432,
  // `postgres` in the alpine image.
  runAs: { user: 70, group: 70 },
} as const satisfies ImageFacts & { tag: string };

/** The name of the container port every HTTP tier serves on, which Services target. */
export const HTTP_PORT_NAME = 'http';
/** The port the web Services expose in the cluster. */
export const SERVICE_PORT = 80;

/** In-cluster URL of a web tier's Service. */
export const serviceUrl = (name: string) => `http://${name}`;

/** Paths the public proxy sends to the backend rather than the frontend. */
export const BACKEND_PATHS = ['/admin', '/accounts', '/authorize', '/login', '/logout'] as const;

/** The backend's jobs: `app.kubernetes.io/name` of their pods (the migration Job's own name adds the tag). */
export const JOBS = {
  migrate: 'ov-wag-migrate',
  updateIndex: 'ov-wag-update-index',
  restart: 'ov-wag-restart',
} as const;
