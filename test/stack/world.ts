/**
 * Each namespace's page lists what lies outside the cluster and must exist: DNS names, the ingress controller,
 * the ClusterIssuer, the secret store and its keys (or the Secrets by hand), the buckets, and Elasticsearch with
 * the origins its CORS must allow (cluster-deploy elasticsearch/elastic.yml allows production's only).
 */
import { ENVIRONMENTS, PREVIEW_HOME, previewFor } from '../../lib/config/environments';
import { requiredSecrets, storedSecrets } from '../../lib/config/secrets';
import { Environment, publicHosts, siteUrl } from '../../lib/config/types';
import { renderAll } from '../../lib/synth/render';
import { DEMO, PRODUCTION } from '../helpers';

const preview = previewFor({ repo: 'ov-wag', number: 42 });
const { files } = renderAll([...ENVIRONMENTS, preview], PREVIEW_HOME);
const page = (ns: string) => files.find((f) => f.path === `${ns}.md`)!.content;
const outside = (ns: string) => page(ns).slice(page(ns).indexOf('## Outside the cluster'));
const section = (ns: string, heading: string) => {
  const text = outside(ns);
  const start = text.indexOf(`### ${heading}`);
  const end = text.indexOf('\n### ', start + 1);
  return text.slice(start, end < 0 ? undefined : end);
};

describe.each(ENVIRONMENTS.map((e) => [e.namespace, e] as const))('%s', (ns, env: Environment) => {
  const mine = section(ns, `Namespace \`${ns}\``);

  test('lists its DNS names, its ingress controller and its certificate issuer', () => {
    expect(outside(ns)).not.toBe('');
    for (const host of publicHosts(env)) expect(mine).toContain(`- DNS name \`${host}\``);
    expect(mine).toContain(`ingress controller ${env.ingress.controller.kind}, IngressClass \`${env.ingress.controller.className}\``);
    if (env.ingress.tls.mode === 'cert-manager') expect(mine).toContain(`ClusterIssuer \`${env.ingress.tls.clusterIssuer}\``);
  });

  test('lists every Secret key it needs: in the store with its property, or made by hand', () => {
    if (env.externalSecrets) {
      expect(mine).toContain(`${env.externalSecrets.storeKind} \`${env.externalSecrets.storeName}\``);
      for (const s of storedSecrets(env)) {
        const { remoteKey } = env.externalSecrets.secrets[s.name];
        const line = mine.split('\n').find((l) => l.includes(`store secret \`${remoteKey}\` → Secret \`${s.name}\``))!;
        for (const key of s.keys) expect(line).toContain(`\`${key}\``);
      }
    } else {
      for (const s of requiredSecrets(env)) expect(mine).toContain(`Secret \`${s.name}\` (made by hand, README, Secrets): keys ${s.keys.map((k) => `\`${k}\``).join(', ')}`);
    }
  });

  test('lists its bucket and its Elasticsearch indexes', () => {
    expect(mine).toContain(`S3 bucket \`${env.site.s3Bucket}\` in \`${env.site.s3Region}\``);
    expect(mine).toContain(`Elasticsearch \`${env.site.esUrl}\`: indexes \`${env.site.esIndex}\``);
  });
});

test('the CORS origins: production\'s is allowed today, the demo\'s and each preview\'s are not, and say what fails', () => {
  expect(section(PRODUCTION.namespace, 'Namespace')).toContain(`CORS origin \`${siteUrl(PRODUCTION, PRODUCTION.host)}\` on \`${PRODUCTION.site.esUrl}\`: allowed today`);
  for (const [where, env] of [[`Namespace \`${DEMO.namespace}\``, DEMO], [`Preview \`${preview.instance}\``, preview]] as const) {
    expect(section(DEMO.namespace, where)).toContain(`CORS origin \`${siteUrl(env, env.host)}\` on \`${env.site.esUrl}\`: **not allowed today: the search page fails until it is added`);
  }
});

test('the demo\'s page lists each of its previews, with its own host and the demo\'s bucket read, not collected into', () => {
  const mine = section(DEMO.namespace, `Preview \`${preview.instance}\``);
  expect(mine).toContain(`- DNS name \`${preview.host}\``);
  expect(mine).toContain(`S3 bucket \`${DEMO.site.s3Bucket}\` in \`${DEMO.site.s3Region}\`: read for media and static files`);
  expect(outside(PRODUCTION.namespace)).not.toContain('Preview');
});
