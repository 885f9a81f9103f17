/**
 * What lies outside the cluster and must exist for a namespace to work, per environment in it (the namespace's
 * own and its previews): DNS names, the ingress controller, the certificate issuer, the secret store and its keys
 * (or the Secrets made by hand), the buckets, and Elasticsearch with the origins its CORS must allow.
 */
import { CLUSTER } from '../../config/environments';
import { pageIndex } from '../../config/images';
import { GENERATED_SECRET_KEY, requiredSecrets, storedSecrets } from '../../config/secrets';
import { Environment, placementOf, publicHosts, sharesNamespace, siteUrl } from '../../config/types';
import { code } from './text';

/** The origins an Elasticsearch is known to allow today, or undefined when the cluster declares none for it. */
function corsAllowed(esUrl: string): readonly string[] | undefined {
  const origin = new URL(esUrl).origin;
  return Object.entries(CLUSTER.elasticsearchCors).find(([url]) => new URL(url).origin === origin)?.[1];
}

function cors(env: Environment): string[] {
  const allowed = corsAllowed(env.site.esUrl);
  return publicHosts(env).map((host) => {
    const origin = siteUrl(env, host);
    const state = allowed === undefined
      ? 'not known: check its `http.cors.allow-origin`'
      : allowed.includes(origin) ? 'allowed today' : '**not allowed today: the search page fails until it is added to `http.cors.allow-origin`**';
    return `CORS origin ${code(origin)} on ${code(env.site.esUrl)}: ${state}`;
  });
}

function secrets(env: Environment): string[] {
  const store = env.externalSecrets;
  if (!store) {
    return requiredSecrets(env).map((s) => `Secret ${code(s.name)} (made by hand, README, Secrets): keys ${s.keys.map(code).join(', ')}`);
  }
  return [
    `${store.storeKind} ${code(store.storeName)} of the External Secrets Operator, with its Password generator CRD`,
    ...storedSecrets(env).map((s) => {
      const { remoteKey, properties } = store.secrets[s.name];
      return `store secret ${code(remoteKey)} → Secret ${code(s.name)}: properties ${s.keys.map((k) => (properties[k] === k ? code(k) : `${code(properties[k])} (as ${code(k)})`)).join(', ')}`;
    }),
    `Secret ${code(GENERATED_SECRET_KEY.name)}: made once in the namespace by the Password generator (nothing to put in the store)`,
  ];
}

/** One environment's needs, as list items. */
function needs(env: Environment): string[] {
  const { controller, tls } = env.ingress;
  const tlsNeed = tls.mode === 'cert-manager'
    ? [`cert-manager with the ClusterIssuer ${code(tls.clusterIssuer)}`]
    : tls.mode === 'secret' ? [`TLS Secret ${code(tls.secretName)} in ${code(env.namespace)}, made by the operators`] : [];
  const collects = env.backend.collectStatic;
  return [
    ...publicHosts(env).map((h) => `DNS name ${code(h)} pointing at the ingress controller`),
    `ingress controller ${controller.kind}, IngressClass ${code(controller.className)}, its pods in namespace ${code(controller.namespace)} labelled ${Object.entries(controller.podLabels).map(([k, v]) => code(`${k}=${v}`)).join(', ')}`,
    ...tlsNeed,
    ...secrets(env),
    `S3 bucket ${code(env.site.s3Bucket)} in ${code(env.site.s3Region)}: ${collects ? 'media, and the static files `collectstatic` writes under `static/`' : 'read for media and static files (another environment collects them)'}`,
    `Elasticsearch ${code(env.site.esUrl)}: indexes ${code(env.site.esIndex)} (and ${code(pageIndex(env.site.esIndex))}), ${code(env.site.gbhIndex)}`,
    ...cors(env),
  ];
}

/** The page section: a sub-list per environment of the namespace, its own first. */
export function renderWorld(envs: readonly Environment[]): string[] {
  const out = ['## Outside the cluster', '', 'What must exist for this namespace to work, which no manifest here creates.'];
  for (const env of envs) {
    out.push('', `### ${sharesNamespace(env) ? `Preview ${code(placementOf(env).instance)}` : `Namespace ${code(env.namespace)}`}`, '', ...needs(env).map((n) => `- ${n}`));
  }
  return out;
}
