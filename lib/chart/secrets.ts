/** Secrets in the manifests: references by name and key, and the ExternalSecrets that fill them. */
import { Construct } from 'constructs';
import { ExternalSecret, ExternalSecretSpecSecretStoreRefKind, ExternalSecretSpecTargetCreationPolicy } from '../../imports/external-secrets.io';
import { RequiredSecret, SecretEnv } from '../config/secrets';
import { ExternalSecretsConfig, Placement } from '../config/types';
import { meta } from './labels';
import { k8s } from './k8s';

/** Environment variables read from Secrets, with `secretKeyRef`. */
export function secretEnvVars(list: readonly SecretEnv[]): k8s.EnvVar[] {
  return list.map((s) => ({ name: s.env, valueFrom: { secretKeyRef: { name: s.secret.name, key: s.secret.key } } }));
}

export interface ExternalSecretsProps {
  readonly placement: Placement;
  /** The store and the remote key of each Secret. */
  readonly config: ExternalSecretsConfig;
  /** Every Secret the workloads read, with its keys. */
  readonly secrets: readonly RequiredSecret[];
}

/**
 * One ExternalSecret per required Secret, each the extract of one JSON secret of the store, whose
 * properties are the Secret's keys (the deployers' layout: ov-deploy charts/openvault/values.yaml).
 */
export class ExternalSecrets extends Construct {
  constructor(scope: Construct, id: string, props: ExternalSecretsProps) {
    super(scope, id);
    const { config } = props;
    for (const secret of props.secrets) {
      const remoteKey = config.remoteKeys[secret.name];
      new ExternalSecret(this, secret.name, {
        metadata: { ...meta({ name: secret.name, placement: props.placement, component: 'secrets' }), name: secret.name },
        spec: {
          refreshInterval: config.refreshInterval,
          secretStoreRef: {
            kind: config.storeKind === 'SecretStore' ? ExternalSecretSpecSecretStoreRefKind.SECRET_STORE : ExternalSecretSpecSecretStoreRefKind.CLUSTER_SECRET_STORE,
            name: config.storeName,
          },
          target: { name: secret.name, creationPolicy: ExternalSecretSpecTargetCreationPolicy.OWNER },
          dataFrom: [{ extract: { key: remoteKey } }],
        },
      });
    }
  }
}
