/** Secrets in the manifests: references by name and key, and the ExternalSecrets that fill them. */
import { Construct } from 'constructs';
import {
  ExternalSecret, ExternalSecretSpecDataFromSourceRefGeneratorRefKind, ExternalSecretSpecRefreshPolicy, ExternalSecretSpecSecretStoreRefKind,
  ExternalSecretSpecTargetCreationPolicy,
} from '../../imports/external-secrets.io';
import { Password } from '../../imports/generators.external-secrets.io';
import { RequiredSecret, SecretEnv } from '../config/secrets';
import { ExternalSecretsConfig, Placement, SecretKeyRef } from '../config/types';
import { meta } from './labels';
import { k8s } from './k8s';

/** Environment variables read from Secrets, with `secretKeyRef`. */
export function secretEnvVars(list: readonly SecretEnv[]): k8s.EnvVar[] {
  return list.map((s) => ({ name: s.env, valueFrom: { secretKeyRef: { name: s.secret.name, key: s.secret.key } } }));
}

/** Django's own key length and characters (django.core.management.utils.get_random_secret_key). */
const SECRET_KEY_LENGTH = 50;
const SECRET_KEY_SYMBOLS = '!@#$%^&*(-_=+)';

export interface ExternalSecretsProps {
  readonly placement: Placement;
  /** The store and where each Secret's keys are in it. */
  readonly config: ExternalSecretsConfig;
  /** Every Secret the store fills, with its keys. */
  readonly secrets: readonly RequiredSecret[];
  /** The Secret and key that the Password generator fills once. */
  readonly generated: SecretKeyRef;
}

/**
 * One ExternalSecret per Secret the store fills, each key from the property the registry names (the deployers
 * keep one JSON secret per tier: ov-deploy charts/openvault/values.yaml), and the generated secret key.
 */
export class ExternalSecrets extends Construct {
  constructor(scope: Construct, id: string, props: ExternalSecretsProps) {
    super(scope, id);
    const { config, placement } = props;
    const metadata = (name: string) => ({ ...meta({ name, placement, component: 'secrets' }), name });
    for (const secret of props.secrets) {
      const { remoteKey, properties } = config.secrets[secret.name];
      new ExternalSecret(this, secret.name, {
        metadata: metadata(secret.name),
        spec: {
          refreshInterval: config.refreshInterval,
          secretStoreRef: {
            kind: config.storeKind === 'SecretStore' ? ExternalSecretSpecSecretStoreRefKind.SECRET_STORE : ExternalSecretSpecSecretStoreRefKind.CLUSTER_SECRET_STORE,
            name: config.storeName,
          },
          target: { name: secret.name, creationPolicy: ExternalSecretSpecTargetCreationPolicy.OWNER },
          data: secret.keys.map((key) => ({ secretKey: key, remoteRef: { key: remoteKey, property: properties[key] } })),
        },
      });
    }

    const { name, key } = props.generated;
    const password = new Password(this, `${name}-generator`, {
      metadata: metadata(name),
      spec: { length: SECRET_KEY_LENGTH, allowRepeat: true, noUpper: false, symbolCharacters: SECRET_KEY_SYMBOLS, secretKeys: [key] },
    });
    new ExternalSecret(this, name, {
      metadata: metadata(name),
      spec: {
        // Made once and never again: a new key would end every session. The Secret outlives its ExternalSecret.
        refreshPolicy: ExternalSecretSpecRefreshPolicy.CREATED_ONCE,
        target: { name, creationPolicy: ExternalSecretSpecTargetCreationPolicy.ORPHAN },
        dataFrom: [{
          sourceRef: {
            generatorRef: { apiVersion: password.apiVersion, kind: ExternalSecretSpecDataFromSourceRefGeneratorRefKind.PASSWORD, name: password.name },
          },
        }],
      },
    });
  }
}
