/**
 * Previews' media: a preview's database is a copy of the demo's, whose pages point into the demo's bucket, so the
 * preview reads that bucket and needs none made by hand; it never runs `collectstatic`, so the demo's static files
 * (ov-wag v1.1.3 ov_wag/settings/production.py: location `static` of the same bucket) are never overwritten.
 */
import { loadRegistry, PREVIEW_HOME, previewFor, REGISTRY } from '../../lib/config/environments';
import { BACKEND } from '../../lib/config/images';
import { PREVIEW_REPOS, PreviewRepo } from '../../lib/config/preview';
import { EnvironmentInput } from '../../lib/config/types';
import { DEMO, find, objectsOf } from '../helpers';

const previews = (Object.keys(PREVIEW_REPOS) as PreviewRepo[]).map((repo) => previewFor({ repo, number: 42 }));
const start = (env: (typeof previews)[number]) => find(objectsOf(env), 'Deployment', BACKEND.name + (env.instance ? `-${env.instance}` : '')).spec.template.spec.containers[0].command.at(-1) as string;
const bucket = (env: (typeof previews)[number]) => find(objectsOf(env), 'ConfigMap', BACKEND.name + (env.instance ? `-${env.instance}` : '')).data.AWS_STORAGE_BUCKET_NAME;

describe.each(previews.map((p) => [p.instance!, p] as const))('%s', (_name, env) => {
  test('reads the demo\'s bucket, where the pages of its copied database point', () => {
    expect(env.namespace).toBe(PREVIEW_HOME);
    expect(bucket(env)).toBe(bucket(DEMO));
  });

  test('starts gunicorn without collectstatic, so the demo\'s static files stay as the demo put them', () => {
    expect(start(env)).toMatch(/^cd \/app; exec gunicorn /);
    expect(start(env)).not.toContain('collectstatic');
    expect(start(DEMO)).toContain('collectstatic --noinput; exec gunicorn');
  });
});

describe('who may collect static files into a bucket', () => {
  const [prod, demo] = REGISTRY;
  test('previews beside the demo share its bucket: no conflict', () => {
    expect(loadRegistry(REGISTRY, [{ repo: 'ov-wag', number: 1 }, { repo: 'ov-frontend', number: 1 }]).previews).toHaveLength(2);
  });

  test('two environments that collect into one bucket are refused; one that only reads it is not', () => {
    const collecting: EnvironmentInput = { ...demo, site: { ...demo.site, s3Bucket: prod.site.s3Bucket } };
    expect(() => loadRegistry([prod, collecting])).toThrow(`ov-demo (entry 2): shares the S3 bucket "${prod.site.s3Bucket}" with ov (entry 1)`);
    const reading: EnvironmentInput = { ...collecting, backend: { ...collecting.backend, collectStatic: false } };
    expect(loadRegistry([prod, reading]).environments).toHaveLength(2);
  });

  test('an environment that does not collect, on a bucket nobody collects into, is refused in one line', () => {
    const orphan: EnvironmentInput = { ...demo, backend: { ...demo.backend, collectStatic: false } };
    expect(() => loadRegistry([prod, orphan])).toThrow(/^ov-demo \(entry 2\): backend\.collectStatic false on the S3 bucket "dev\.media\.openvault\.wgbh\.org": no environment collects static files into it; share the bucket of one that does$/);
  });
});
