/**
 * Pull-request previews: one environment per open pull request of ov-wag or ov-frontend, inside the demo's
 * namespace, derived from the demo (as the deployers' ApplicationSet does, ov-deploy dev/ov-stage.yaml).
 * The set of previews is committed state, `previews.json`, written by `npm run preview`.
 */
import { z } from 'zod';
import { Environment, EnvironmentInput } from './schema';
import { placementOf } from './types';

/** Which tier each repository builds; its previews run `pr-<n>` for that tier and the demo's image for the other. */
export const PREVIEW_REPOS = { 'ov-wag': 'backend', 'ov-frontend': 'frontend' } as const;
export type PreviewRepo = keyof typeof PREVIEW_REPOS;

/** Most previews at once: each has its own pods, database and volume in the demo's namespace. */
export const MAX_PREVIEWS = 10;

export const previewSchema = z
  .object({
    repo: z.enum(Object.keys(PREVIEW_REPOS) as [PreviewRepo, ...PreviewRepo[]]),
    number: z.number().int().min(1).max(999_999),
  })
  .strict();
export type Preview = z.output<typeof previewSchema>;

export const previewsFileSchema = z
  .object({ previews: z.array(previewSchema).max(MAX_PREVIEWS, { message: `at most ${MAX_PREVIEWS} previews at once` }) })
  .strict();

/** `ov-wag-pr-195`: the two repositories' numbers overlap, so the name carries the repository. */
export const previewName = (p: Preview) => `${p.repo}-pr-${p.number}`;

/** Pods per web tier of a preview: two, as in the demo, so that a node drain never takes a preview down. */
export const PREVIEW_REPLICAS = 2;

/**
 * The preview's own resources are derived from its name: host and search index. Its media are the demo's: its
 * database is a copy of the demo's, whose pages point into the demo's bucket, so it uses that bucket (as the
 * deployers' previews share the dev bucket, ov-deploy dev/ov-stage.yaml), without `collectstatic`, so that it never
 * overwrites the demo's static files. The pinned release reads only the bucket's name and region
 * (ov-wag ov_wag/settings/production.py at v1.1.3: the static files' location `static` is fixed), so a bucket or a
 * prefix of its own would need a bucket made by hand or settings code mounted into the image.
 */
export function previewEnvironment(demo: Environment, preview: Preview): EnvironmentInput {
  const name = previewName(preview);
  const tier = PREVIEW_REPOS[preview.repo];
  const { adminHost: _admin, ...ingress } = demo.ingress;
  if (demo.database.mode !== 'statefulset') throw new Error('previews copy the demo\'s in-cluster database');
  return {
    ...demo,
    instance: name,
    stage: 'preview',
    host: `${name}.${demo.host}`,
    frontend: { tag: tier === 'frontend' ? `pr-${preview.number}` : demo.frontend.tag, replicas: PREVIEW_REPLICAS, resources: demo.frontend.resources },
    backend: {
      tag: tier === 'backend' ? `pr-${preview.number}` : demo.backend.tag, replicas: PREVIEW_REPLICAS, resources: demo.backend.resources, workers: demo.backend.workers,
      collectStatic: false,
    },
    database: {
      mode: 'statefulset',
      storage: '2Gi',
      resources: {
        requests: { cpu: '50m', memory: '128Mi', 'ephemeral-storage': demo.database.resources.requests['ephemeral-storage'] },
        limits: { cpu: '500m', memory: '512Mi', 'ephemeral-storage': demo.database.resources.limits['ephemeral-storage'] },
      },
      name: demo.database.name,
      user: demo.database.user,
      keepVolume: false,
      seedFrom: { instance: placementOf(demo).instance },
    },
    ingress,
    site: { ...demo.site, esIndex: name },
    jobs: { updateIndex: demo.jobs.updateIndex },
    externalSecrets: undefined,
  };
}
