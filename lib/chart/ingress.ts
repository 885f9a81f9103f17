/**
 * The public entry: one Ingress per host, for the ingress controller the environment runs (the seed's
 * nginx, or the cluster's Traefik). `/` goes to the frontend and the backend's public paths to the
 * backend; an admin host serves the backend's paths only. HTTPS redirect, the upload limit and an
 * optional rate limit are set the way each controller takes them: nginx annotations, Traefik Middlewares.
 */
import { createHash } from 'node:crypto';
import { Construct } from 'constructs';
import { Middleware } from '../../imports/traefik.io';
import { BACKEND, BACKEND_PATHS, FRONTEND, SERVICE_PORT } from '../config/images';
import { bodySizeBytes, isDnsSubdomain } from '../config/rules';
import { IngressConfig, Placement, suffixed, TlsConfig } from '../config/types';
import { meta } from './labels';
import { k8s } from './k8s';

export const INGRESS_NAME = 'open-vault';

/**
 * cert-manager's Secret for a host: one per host, named after it; or the operator's own Secret. The name is a
 * valid Secret name for every valid host, and no two hosts share one. Three forms, which never meet: the host's
 * labels joined by "-" (no dots, no "--"), as before, where that is unambiguous (the host has no "-") and short
 * enough for one label; else the host itself (it has dots); else a digest of it (no dots, with "--").
 */
export function tlsSecretName(tls: TlsConfig, host: string): string | undefined {
  if (tls.mode === 'off') return undefined;
  if (tls.mode === 'secret') return tls.secretName;
  const dashed = `${host.replace(/\./g, '-')}-tls`;
  if (!host.includes('-') && dashed.length <= 63) return dashed;
  const dotted = `${host}-tls`;
  if (isDnsSubdomain(dotted)) return dotted;
  return `tls--${createHash('sha256').update(host).digest('hex').slice(0, 32)}`;
}

const path = (p: string, service: string): k8s.HttpIngressPath => ({
  path: p,
  pathType: 'Prefix',
  backend: { service: { name: service, port: { number: SERVICE_PORT } } },
});

/** One host's routing and whether its requests are rate-limited. */
interface Route {
  readonly name: string;
  readonly host: string;
  readonly paths: readonly k8s.HttpIngressPath[];
  readonly limited: boolean;
}

export interface PublicIngressProps {
  readonly placement: Placement;
  /** The public host: the site, with the rate limit when there is one. */
  readonly host: string;
  /** Controller, TLS, upload limit, rate limit and the optional admin host. */
  readonly config: IngressConfig;
}

export class PublicIngress extends Construct {
  private readonly props: PublicIngressProps;

  constructor(scope: Construct, id: string, props: PublicIngressProps) {
    super(scope, id);
    this.props = props;
    const { config } = props;
    const service = (name: string) => suffixed(props.placement, name);
    const backendPaths = BACKEND_PATHS.map((p) => path(p, service(BACKEND.name)));
    const routes: Route[] = [
      { name: INGRESS_NAME, host: props.host, paths: [path('/', service(FRONTEND.name)), ...backendPaths], limited: config.rateLimit !== undefined },
      ...(config.adminHost ? [{ name: `${INGRESS_NAME}-admin`, host: config.adminHost, paths: backendPaths, limited: false }] : []),
    ];
    const middlewares = config.controller.kind === 'traefik' ? this.traefikMiddlewares() : undefined;
    for (const route of routes) {
      const annotations: Record<string, string> = middlewares ? middlewares(route) : this.nginxAnnotations(route);
      if (config.tls.mode === 'cert-manager') annotations['cert-manager.io/cluster-issuer'] = config.tls.clusterIssuer;
      const secretName = tlsSecretName(config.tls, route.host);
      new k8s.KubeIngress(this, route.name, {
        metadata: meta({ name: INGRESS_NAME, placement: props.placement, component: 'proxy' }, route.name, annotations),
        spec: {
          ingressClassName: config.controller.className,
          rules: [{ host: route.host, http: { paths: [...route.paths] } }],
          ...(secretName ? { tls: [{ hosts: [route.host], secretName }] } : {}),
        },
      });
    }
  }

  /** ingress-nginx takes everything as annotations of the Ingress. */
  private nginxAnnotations(route: Route): Record<string, string> {
    const { config } = this.props;
    const annotations: Record<string, string> = {
      // Media uploads in the CMS are larger than nginx's 1m default.
      'nginx.ingress.kubernetes.io/proxy-body-size': config.maxBodySize,
    };
    if (config.tls.mode !== 'off') {
      annotations['nginx.ingress.kubernetes.io/ssl-redirect'] = 'true';
      annotations['nginx.ingress.kubernetes.io/force-ssl-redirect'] = 'true';
    }
    if (route.limited && config.rateLimit) {
      // Per client address; nginx's burst is a multiple of the rate.
      annotations['nginx.ingress.kubernetes.io/limit-rps'] = String(config.rateLimit.average);
      annotations['nginx.ingress.kubernetes.io/limit-burst-multiplier'] = String(Math.max(1, Math.ceil(config.rateLimit.burst / config.rateLimit.average)));
    }
    return annotations;
  }

  /** Traefik takes Middleware objects, attached to the Ingress's router by name. Returns the annotations of a route. */
  private traefikMiddlewares(): (route: Route) => Record<string, string> {
    const { placement, config } = this.props;
    const middleware = (name: string, spec: ConstructorParameters<typeof Middleware>[2]['spec']): string => {
      const m = new Middleware(this, name, { metadata: meta({ name, placement, component: 'proxy' }), spec });
      return `${placement.namespace}-${m.name}@kubernetescrd`;
    };
    const always = [
      ...(config.tls.mode !== 'off' ? [middleware('redirect-https', { redirectScheme: { scheme: 'https', permanent: true } })] : []),
      middleware('upload-limit', { buffering: { maxRequestBodyBytes: bodySizeBytes(config.maxBodySize) } }),
    ];
    const limit = config.rateLimit ? middleware('rate-limit', { rateLimit: { average: config.rateLimit.average, burst: config.rateLimit.burst } }) : undefined;
    return (route) => ({
      'traefik.ingress.kubernetes.io/router.middlewares': [...always, ...(route.limited && limit ? [limit] : [])].join(','),
    });
  }
}
