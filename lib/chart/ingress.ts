/** The public entry: the seed's nginx proxy as an Ingress, `/` to the frontend, the CMS paths to the backend. */
import { Construct } from 'constructs';
import { BACKEND, BACKEND_PATHS, FRONTEND, SERVICE_PORT } from '../config/images';
import { IngressConfig, TlsConfig } from '../config/types';
import { meta } from './labels';
import { k8s } from './k8s';

export const INGRESS_NAME = 'open-vault';
export const DEFAULT_INGRESS_CLASS = 'nginx';
export const DEFAULT_MAX_BODY_SIZE = '100m';

/** cert-manager's Secret for a host: one per host, named after it. */
export function tlsSecretName(tls: TlsConfig, host: string): string | undefined {
  if (tls.mode === 'off') return undefined;
  return tls.mode === 'secret' ? tls.secretName : `${host.replace(/\./g, '-')}-tls`;
}

const path = (p: string, service: string): k8s.HttpIngressPath => ({
  path: p,
  pathType: 'Prefix',
  backend: { service: { name: service, port: { number: SERVICE_PORT } } },
});

export interface PublicIngressProps {
  readonly namespace: string;
  /** The public host. */
  readonly host: string;
  /** Class, TLS, upload limit and the optional admin host. */
  readonly config: IngressConfig;
}

export class PublicIngress extends Construct {
  readonly ingress: k8s.KubeIngress;

  constructor(scope: Construct, id: string, props: PublicIngressProps) {
    super(scope, id);
    const { config } = props;
    const tls = config.tls;
    const backendPaths = BACKEND_PATHS.map((p) => path(p, BACKEND.name));
    const rules: k8s.IngressRule[] = [{ host: props.host, http: { paths: [path('/', FRONTEND.name), ...backendPaths] } }];
    // The admin host serves the CMS only.
    if (config.adminHost) rules.push({ host: config.adminHost, http: { paths: backendPaths } });

    const annotations: Record<string, string> = {
      // Media uploads in the CMS are larger than nginx's 1m default.
      'nginx.ingress.kubernetes.io/proxy-body-size': config.maxBodySize ?? DEFAULT_MAX_BODY_SIZE,
    };
    if (tls.mode !== 'off') {
      annotations['nginx.ingress.kubernetes.io/ssl-redirect'] = 'true';
      annotations['nginx.ingress.kubernetes.io/force-ssl-redirect'] = 'true';
    }
    if (tls.mode === 'cert-manager') annotations['cert-manager.io/cluster-issuer'] = tls.clusterIssuer;

    const hosts = rules.map((r) => r.host as string);
    this.ingress = new k8s.KubeIngress(this, 'ingress', {
      metadata: meta({ name: INGRESS_NAME, namespace: props.namespace, component: 'proxy' }, INGRESS_NAME, annotations),
      spec: {
        ingressClassName: config.className ?? DEFAULT_INGRESS_CLASS,
        rules,
        ...(tls.mode === 'off'
          ? {}
          : tls.mode === 'secret'
            ? { tls: [{ hosts, secretName: tls.secretName }] }
            : { tls: hosts.map((h) => ({ hosts: [h], secretName: tlsSecretName(tls, h) })) }),
      },
    });
  }
}
